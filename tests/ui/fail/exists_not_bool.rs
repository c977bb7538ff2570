use axum_conditional::conditional;

#[conditional(exists = Some(1))]
async fn handler() -> &'static str {
    "exists"
}

fn main() {}
