use axum_conditional::conditional;

#[conditional(
    etag = axum_conditional::ETag::from_version(1),
    require = "yes",
    weak_if_match = 1,
    cache_control = max_age(60),
    vary = "accept\n",
    state = "AppState",
    bind = ev.x,
)]
async fn handler() -> &'static str {
    "wrong kinds"
}

fn main() {}
