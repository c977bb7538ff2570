//! Checks of the arguments against the function, and the decisions the expansion follows.
//! Every mistake found is reported, combined into one `syn::Error`.

use proc_macro2::Span;

use crate::args::Args;
use crate::handler::{ExtractorKind, Handler};
use crate::scan::Uses;

/// axum implements `Handler` for functions of up to 16 extractor arguments.
const MAX_ARGUMENTS: usize = 16;

/// A handler the expansion can rewrite.
pub(crate) struct Plan {
    pub(crate) args: Args,
    pub(crate) handler: Handler,
    /// The argument extracted after the preconditions pass, if any: the last one, unless a
    /// validator uses it or it is known to read only the request head.
    pub(crate) deferred: Option<usize>,
    /// For each validator of `args.validators`, the `?` operators that apply to it.
    pub(crate) questions: Vec<Vec<Span>>,
}

#[derive(Default)]
struct Errors(Option<syn::Error>);

impl Errors {
    fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(errors) => errors.combine(error),
            None => self.0 = Some(error),
        }
    }
}

pub(crate) fn validate(args: syn::Result<Args>, handler: Handler) -> syn::Result<Plan> {
    let mut errors = Errors::default();
    let sig = &handler.sig;

    // Mistakes in the arguments first: they come first in the source.
    let args = match args {
        Ok(args) => Some(args),
        Err(error) => {
            errors.push(error);
            None
        }
    };

    if sig.asyncness.is_none() {
        errors.push(syn::Error::new(
            sig.fn_token.span,
            "`#[conditional]` needs an `async fn`: axum handlers are async, and the validator \
             expressions may `.await`; write `async fn`",
        ));
    }
    if let Some(receiver) = &handler.receiver {
        errors.push(syn::Error::new_spanned(
            receiver,
            "a `#[conditional]` handler cannot take `self`: axum calls handlers as plain \
             functions of their extractors; move it out of the `impl` block and take what it \
             needs as extractor arguments (for example `State<…>`)",
        ));
    }

    let Some(args) = args else {
        return Err(errors
            .0
            .unwrap_or_else(|| unreachable!("an error was pushed")));
    };

    if args.validators.is_empty() {
        errors.push(syn::Error::new(
            Span::call_site(),
            "`#[conditional]` needs a validator: add `etag = …` (an `ETag` or `Option<ETag>`) \
             and/or `last_modified = …` (a `SystemTime`, `HttpDate` or `LastModified`, or an \
             `Option` of one)",
        ));
    }

    let uses: Vec<Uses> = args.validators.iter().map(|v| Uses::of(&v.expr)).collect();

    // Which argument runs after the preconditions.
    let mut deferred = None;
    if let Some((index, last)) = handler.params.iter().enumerate().next_back() {
        let used = last.bindings.iter().find_map(|name| {
            uses.iter()
                .find_map(|u| u.find(name))
                .map(|span| (name, span))
        });
        match (used, last.kind()) {
            (Some((name, span)), ExtractorKind::Body(extractor)) => {
                errors.push(syn::Error::new(
                    span,
                    format!(
                        "validators run before the request body is read, so they cannot use \
                         `{name}`, which the `{extractor}` body extractor binds; compute the \
                         validators from the other arguments"
                    ),
                ));
            }
            (Some(_), _) | (None, ExtractorKind::Head) => {}
            (None, _) => deferred = Some(index),
        }
    }

    if handler.returns_opaque() {
        for span in uses.iter().flat_map(|u| &u.questions) {
            errors.push(syn::Error::new(
                *span,
                "`?` in a validator needs the handler to return a `Result`, whose error type \
                 answers the error; this handler returns `impl …`, so write \
                 `-> Result<impl IntoResponse, YourError>`",
            ));
        }
    }

    // The hidden state argument exists only to run a deferred extractor.
    let with_state = args.state.is_some() && deferred.is_some();
    let added = 1 + usize::from(with_state);
    let total = handler.params.len() - usize::from(deferred.is_some()) + added;
    if total > MAX_ARGUMENTS {
        let extra = if with_state {
            "two: the request and the `state`"
        } else {
            "one: the request"
        };
        errors.push(syn::Error::new_spanned(
            &sig.inputs,
            format!(
                "axum handlers take at most {MAX_ARGUMENTS} arguments, and `#[conditional]` \
                 adds {extra}, so this handler would take {total}; group extractors in a \
                 tuple, as in `(a, b): (ExtractorA, ExtractorB)`"
            ),
        ));
    }

    if let Some(bind) = &args.bind
        && handler
            .params
            .iter()
            .any(|param| param.bindings.contains(bind))
    {
        errors.push(syn::Error::new(
            bind.span(),
            format!("`bind = {bind}` would hide the argument `{bind}`; choose another name"),
        ));
    }

    match errors.0 {
        Some(errors) => Err(errors),
        None => Ok(Plan {
            questions: uses.into_iter().map(|u| u.questions).collect(),
            args,
            handler,
            deferred,
        }),
    }
}
