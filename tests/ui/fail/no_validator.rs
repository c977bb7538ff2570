use axum_conditional::conditional;

#[conditional(require = true)]
async fn handler() -> &'static str {
    "no validator"
}

fn main() {}
