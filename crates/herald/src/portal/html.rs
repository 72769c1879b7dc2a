//! Server-rendered pages: one layout, text escaped on the way in.

use axum::{
    http::StatusCode,
    response::{Html, IntoResponse, Response},
};

/// Escapes text for HTML bodies and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A whole page outside a session (signing in, a used-up link, signed out):
/// `title` is text, `body` is HTML already escaped. It wears the portal's
/// header and style sheet, so the first page a customer sees looks like the
/// rest; the style sheet is a file, as the Content-Security-Policy wants.
pub fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let title = escape(title);
    let html = format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title} · Herald</title>\n\
         <link rel=\"icon\" href=\"/portal/assets/favicon.svg\" type=\"image/svg+xml\">\n\
         <link rel=\"stylesheet\" href=\"/portal/assets/portal.css\">\n</head>\n<body class=\"outside\">\n\
         <header class=\"top\">\n<p class=\"brand\">Webhooks · <strong>Developer portal</strong></p>\n</header>\n\
         <main id=\"content\">\n<div class=\"card\">\n<h1>{title}</h1>\n{body}\n</div>\n</main>\n</body>\n</html>\n"
    );
    (status, Html(html)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_text_is_escaped() {
        assert_eq!(escape(r#"<a href="x">'&'</a>"#), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    }
}
