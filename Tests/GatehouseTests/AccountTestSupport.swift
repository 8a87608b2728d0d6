import Foundation
import XCTest
@testable import Gatehouse

extension TestApp {
    /// Open registration, mail into files, links under a public URL.
    static let accounts = [
        "registration": "open", "mail_transport": "file", "public_url": "https://accounts.example.com/app",
        "mail_from": "noreply@example.com",
    ]

    func post(_ path: String, _ body: String, headers: [(String, String)] = [], from address: String = "") -> Response {
        request("POST", path, headers: [("Content-Type", "application/json")] + headers, body: body, from: address)
    }

    func patchMe(_ body: String, auth: String) -> Response {
        request("PATCH", "/users/me/", headers: [("Content-Type", "application/json"), ("Authorization", auth)], body: body)
    }

    /// Messages of that kind the outbox holds (queued or not), oldest first.
    func messages(_ kind: AccountTokenPurpose) throws -> [OutboxMessage] {
        try app.store.outboxMessages().filter { $0.kind == kind }
    }

    /// The token the newest queued message of that kind carries.
    func mailedToken(_ kind: AccountTokenPurpose, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let message = try XCTUnwrap(try messages(kind).last, "no \(kind) message queued", file: file, line: line)
        return try XCTUnwrap(app.accountIssuer.token(for: message), file: file, line: line)
    }

    /// The store's writes so far (every INSERT, UPDATE, DELETE and transaction statement).
    var storeWrites: Int { try! app.store.connection.localWrites }

    func register(_ username: String, _ email: String, _ password: String = "password1", fullName: String? = nil,
                  extra: String = "", from address: String = "") -> Response {
        var body = #"{"username":"\#(username)","email":"\#(email)","password":"\#(password)""#
        if let fullName { body += #","full_name":"\#(fullName)""# }
        return post("/register", body + extra + "}", from: address)
    }
}

func bodyText(_ r: Response) -> String { String(decoding: r.body, as: UTF8.self) }
