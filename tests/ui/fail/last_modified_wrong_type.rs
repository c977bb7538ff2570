use axum_conditional::conditional;

#[conditional(last_modified = "Sun, 06 Nov 1994 08:49:37 GMT")]
async fn handler() -> &'static str {
    "string date"
}

fn main() {}
