/// `GET {prefix}/docs`: Swagger UI over `{prefix}/openapi.json`, as FastAPI's
/// `get_swagger_ui_html` serves it, but with Swagger UI's files from this site
/// (`{prefix}/docs/`, served by nginx from the package's copy; see nginx/gatehouse.conf),
/// never from a CDN. Authorize uses the OAuth2 password flow against `{prefix}/token`.
/// Without those files (or without JavaScript) the page says so and where the schema is.
enum DocsPage {
    static func page(_ context: inout Context) throws -> Output {
        let prefix = context.request.scriptName
        let text = template
            .replacing("{{assets}}", with: HTML.escaped(prefix + "/docs/"))
            .replacing("{{openapi}}", with: HTML.escaped(prefix + "/openapi.json"))
            .replacing("{{script}}", with: script)
        return .html(text, headers: headers)
    }

    /// The one inline script: it reads its settings from the page, so it never changes and
    /// the policy can name it by hash instead of allowing every inline script.
    static let script = """
        (function () {
          var root = document.getElementById('swagger-ui');
          if (typeof SwaggerUIBundle !== 'function') {
            document.getElementById('docs-missing').hidden = false;
            return;
          }
          window.ui = SwaggerUIBundle({
            url: root.dataset.openapi,
            dom_id: '#swagger-ui',
            layout: 'BaseLayout',
            deepLinking: true,
            showExtensions: true,
            showCommonExtensions: true,
            validatorUrl: null,
            oauth2RedirectUrl: new URL(root.dataset.assets + 'oauth2-redirect.html', location.href).href,
            presets: [SwaggerUIBundle.presets.apis]
          });
        })();
        """

    static let headers = Headers([
        ("content-security-policy",
         "default-src 'none'; script-src 'self' 'sha256-\(Base64.encode(LibCrypto.digest(.sha256, Array(script.utf8))))'; "
            + "style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; form-action 'self'; "
            + "base-uri 'none'; frame-ancestors 'none'"),
        ("x-frame-options", "DENY"), ("referrer-policy", "same-origin"),
    ])

    static let template = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Gatehouse - Swagger UI</title>
        <link rel="stylesheet" href="{{assets}}swagger-ui.css">
        <link rel="icon" type="image/png" href="{{assets}}favicon-32x32.png">
        </head>
        <body>
        <div id="swagger-ui" data-openapi="{{openapi}}" data-assets="{{assets}}">
        <p id="docs-missing" hidden>Swagger UI's files were not found at <code>{{assets}}</code> (the package
        installs them; from a checkout, <code>make swagger-ui</code>). The API's schema is at
        <a href="{{openapi}}">{{openapi}}</a>.</p>
        <noscript><p>Swagger UI needs JavaScript. The API's schema is at <a href="{{openapi}}">{{openapi}}</a>.</p></noscript>
        </div>
        <script src="{{assets}}swagger-ui-bundle.js"></script>
        <script>{{script}}</script>
        </body>
        </html>

        """
}
