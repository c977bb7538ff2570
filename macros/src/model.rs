//! The model of one `#[conditional]` handler: the arguments and the function, and what follows
//! from the two together (how the last argument is extracted, with which state). Built once,
//! without judging anything: `check` reads it for mistakes and `expand` for the code, and
//! neither decides again what is decided here.

use proc_macro2::Span;
use quote::ToTokens;
use syn::{Ident, Type};

use crate::args::Args;
use crate::handler::Handler;

/// A handler and its arguments.
pub(crate) struct Model {
    pub(crate) args: Args,
    pub(crate) handler: Handler,
    /// How the handler's last argument is extracted: it is the one argument the rewritten
    /// handler extracts itself, in place of which axum passes the rest of the request. `None`
    /// when the handler has no argument.
    pub(crate) last: Option<Last>,
    /// The state the last argument is extracted with; `None` for `()`.
    pub(crate) state: Option<Type>,
}

/// How the last argument is extracted.
pub(crate) enum Last {
    /// From the head before the validators when its type allows, otherwise from the whole
    /// request once the preconditions passed: decided by the type system.
    ByType,
    /// A validator uses it, so it must come from the head, before the validators.
    Head {
        /// The binding of the last argument a validator uses, the first found.
        name: Ident,
        /// Where a validator uses it first.
        used_at: Span,
    },
}

impl Model {
    pub(crate) fn new(args: Args, handler: Handler) -> Self {
        Model {
            last: last_argument(&args, &handler),
            state: state_type(&args, &handler),
            args,
            handler,
        }
    }
}

/// How the last argument is extracted: used by a validator, it must come from the head.
fn last_argument(args: &Args, handler: &Handler) -> Option<Last> {
    let param = handler.params.last()?;
    let used = param.bindings.iter().find_map(|name| {
        args.validators
            .iter()
            .find_map(|validator| validator.uses.find(name))
            .map(|span| (name, span))
    });
    Some(match used {
        Some((name, used_at)) => Last::Head {
            name: name.clone(),
            used_at,
        },
        None => Last::ByType,
    })
}

/// The state the last argument is extracted with: the one the attribute names; or else, when
/// the last argument is itself a `State<U>`, that `U` (a `State<U>` extracts from `U`, and the
/// router's state converts to `U` since the handler asks for it); or else the `T` of the
/// handler's `State<T>` arguments when they agree; or else none (`()`, which every extractor
/// that needs no state accepts).
fn state_type(args: &Args, handler: &Handler) -> Option<Type> {
    if let Some(ty) = &args.state {
        return Some(ty.clone());
    }
    if let Some(ty) = handler.params.last().and_then(|param| param.state_type()) {
        return Some(ty.clone());
    }
    let mut found = handler.params.iter().filter_map(|param| param.state_type());
    let first = found.next()?;
    let key = first.to_token_stream().to_string();
    found
        .all(|other| other.to_token_stream().to_string() == key)
        .then(|| first.clone())
}

#[cfg(test)]
mod tests {
    use proc_macro2::TokenStream;

    use super::*;
    use crate::ctxt::Ctxt;

    fn model(args: &str, function: &str) -> Model {
        let cx = Ctxt::new();
        let tokens: TokenStream = args.parse().expect("test input is valid tokens");
        let args = crate::args::parse(&cx, tokens);
        cx.check().expect("the test's arguments are valid");
        let function = syn::parse_str(function).expect("the test's function parses");
        Model::new(
            args.expect("no mistake was recorded"),
            Handler::new(function),
        )
    }

    #[test]
    fn the_last_argument_comes_from_the_head_when_a_validator_uses_it() {
        let function = "async fn f(State(s): State<S>, Path(id): Path<u64>) {}";
        let used = model("etag = tag(s), last_modified = at(id)", function);
        assert!(matches!(&used.last, Some(Last::Head { name, .. }) if name == "id"));
        let unused = model("etag = tag(s)", function);
        assert!(matches!(unused.last, Some(Last::ByType)));
        assert!(model("etag = tag()", "async fn f() {}").last.is_none());
    }

    #[test]
    fn the_state_is_the_named_one_else_the_last_arguments_else_the_agreeing_states() {
        let state = |args: &str, function: &str| {
            model(args, function)
                .state
                .map(|ty| ty.to_token_stream().to_string())
        };
        let two = "async fn f(State(a): State<A>, Json(d): Json<D>) {}";
        assert_eq!(state("etag = t, state = App", two).as_deref(), Some("App"));
        assert_eq!(state("etag = t", two).as_deref(), Some("A"));
        let last = "async fn f(State(a): State<A>, State(b): State<B>) {}";
        assert_eq!(state("etag = t", last).as_deref(), Some("B"));
        let disagree = "async fn f(State(a): State<A>, State(b): State<B>, x: X) {}";
        assert_eq!(state("etag = t", disagree), None);
        assert_eq!(state("etag = t", "async fn f(x: X) {}"), None);
    }
}
