use axum_conditional::conditional;

#[conditional(etag = format!("\"v{}\"", 1))]
async fn handler() -> &'static str {
    "string"
}

fn main() {}
