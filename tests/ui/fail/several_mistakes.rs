use axum_conditional::conditional;

// Every mistake is reported at once, and the function is kept as written.
#[conditional(last_modifed = 1, require = yes, require = true)]
fn handler() -> &'static str {
    "several"
}

fn main() {
    let _ = handler();
}
