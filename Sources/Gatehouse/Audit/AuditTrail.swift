import Logging

/// Writes each event twice: a row in the store's `audit` table (what `gatehouse audit`
/// lists) and, with a logger, one JSON line in the log. A failed write is logged and
/// never fails the request or command that caused it.
package struct AuditTrail {
    let store: Store
    let logger: Logger?

    package init(store: Store, logger: Logger?) {
        self.store = store
        self.logger = logger
    }

    package func record(_ entry: AuditEntry) {
        do { try store.appendAudit(entry) } catch {
            logger?.error("audit: could not store \(entry.event): \(error)")
        }
        logger?.info("\(AuditTrail.logLine(entry))")
    }

    /// `{"audit":{…}}`: one line a log shipper can pick out and parse.
    static func logLine(_ entry: AuditEntry) -> String {
        JSON.object([("audit", entry.json)]).text
    }

    /// What an account change did, as events: disabled or enabled, password, scopes, roles, the rest.
    package static func changes(from old: User, to new: User, passwordChanged: Bool) -> [(AuditEvent, String)] {
        var events: [(AuditEvent, String)] = []
        if old.disabled != new.disabled { events.append((new.disabled ? .userDisabled : .userEnabled, "")) }
        if passwordChanged { events.append((.passwordChanged, "")) }
        if old.scopes != new.scopes { events.append((.scopesChanged, Self.difference(old.scopes, new.scopes))) }
        if old.roles.sorted() != new.roles.sorted() { events.append((.rolesChanged, Self.difference(old.roles, new.roles))) }
        var fields: [String] = []
        if old.email != new.email { fields.append("email") }
        if old.fullName != new.fullName { fields.append("full_name") }
        if !fields.isEmpty { events.append((.userUpdated, fields.joined(separator: " "))) }
        return events
    }

    /// `+added -removed`.
    package static func difference(_ old: [String], _ new: [String]) -> String {
        (new.filter { !old.contains($0) }.map { "+" + $0 } + old.filter { !new.contains($0) }.map { "-" + $0 })
            .joined(separator: " ")
    }
}

extension App {
    package var audit: AuditTrail { AuditTrail(store: store, logger: logger) }

    /// Records `event` about `user`, done by `actor` (the caller's identity, if any) in `request`.
    func audit(_ event: AuditEvent, _ request: Request, user: User?, username: String? = nil, actor: Identity? = nil,
               outcome: String = "ok", detail: String = "") {
        switch event {
        case .loginSucceeded: metrics.count(.loginSucceeded)
        case .refreshed: metrics.count(.refreshSucceeded)
        case .refreshReuse: metrics.count(.refreshReuse)
        default: break
        }
        audit.record(AuditEntry(
            time: now(), event: event, userID: user?.id, username: user?.username ?? username,
            actor: actor?.user.username ?? "", address: clientAddress.of(request), requestID: request.requestID,
            outcome: outcome, detail: detail))
    }

    /// Every change between `old` and what the store holds now, one row each.
    func auditChanges(_ request: Request, from old: User, actor: Identity?, passwordChanged: Bool) {
        guard let new = try? store.user(id: old.id) else { return }
        for (event, detail) in AuditTrail.changes(from: old, to: new, passwordChanged: passwordChanged) {
            audit(event, request, user: new, actor: actor, detail: detail)
        }
    }
}
