//! Attributes, visibility, inner attributes, argument patterns and a generic handler are kept.

use axum::Router;
use axum::extract::Path;
use axum::routing::get;
use axum_conditional::{ETag, conditional};

mod handlers {
    use super::*;

    /// Documentation is kept.
    #[conditional(etag = ETag::from_version(u64::from(a) + u64::from(b)))]
    #[inline]
    pub(crate) async fn pair(Path((a, mut b)): Path<(u32, u32)>) -> String {
        #![allow(unused_mut)]
        b += 1;
        format!("{a} {b}")
    }

    #[conditional(etag = ETag::from_version(T::VERSION))]
    pub async fn generic<T: Versioned>() -> &'static str {
        T::NAME
    }

    pub trait Versioned: Send + 'static {
        const VERSION: u64;
        const NAME: &'static str;
    }
}

struct V1;

impl handlers::Versioned for V1 {
    const VERSION: u64 = 1;
    const NAME: &'static str = "v1";
}

fn main() {
    let _: Router = Router::new()
        .route("/{a}/{b}", get(handlers::pair))
        .route("/v1", get(handlers::generic::<V1>));
}
