//! Parsing the attribute's arguments: `#[conditional(etag = …, last_modified = …, …)]`.
//!
//! Parsing goes on after a mistake whenever the syntax allows, so that every wrong key and
//! value is reported at once.

use proc_macro2::TokenStream;
use syn::parse::{ParseStream, Parser};
use syn::{Expr, ExprLit, Ident, Lit, LitBool, LitStr, Token, Type};

/// The keys the attribute accepts, in the order the documentation lists them.
const KEYS: [&str; 9] = [
    "etag",
    "last_modified",
    "require",
    "weak_if_match",
    "expose_validators",
    "cache_control",
    "vary",
    "state",
    "bind",
];

/// Which validator an expression gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ValidatorKind {
    ETag,
    LastModified,
}

/// A validator argument: `etag = EXPR` or `last_modified = EXPR`.
pub(crate) struct Validator {
    pub(crate) kind: ValidatorKind,
    pub(crate) expr: Expr,
}

/// The parsed arguments. Absent keys are `None`.
#[derive(Default)]
pub(crate) struct Args {
    /// The validators, in the order they were written (they run in that order).
    pub(crate) validators: Vec<Validator>,
    pub(crate) require: Option<LitBool>,
    pub(crate) weak_if_match: Option<LitBool>,
    pub(crate) expose_validators: Option<LitBool>,
    pub(crate) cache_control: Option<LitStr>,
    pub(crate) vary: Option<LitStr>,
    pub(crate) state: Option<Type>,
    pub(crate) bind: Option<Ident>,
}

impl Args {
    pub(crate) fn validator(&self, kind: ValidatorKind) -> Option<&Validator> {
        self.validators.iter().find(|v| v.kind == kind)
    }
}

/// Parses the arguments. `Err` holds every mistake found; parsing stops only at a syntax error
/// it cannot step over.
pub(crate) fn parse(tokens: TokenStream) -> Result<Args, syn::Error> {
    let mut args = Args::default();
    let mut errors: Option<syn::Error> = None;
    let mut seen: Vec<Ident> = Vec::new();
    let parser = syn::meta::parser(|meta| {
        let Some(key) = meta.path.get_ident().cloned() else {
            let error = syn::Error::new_spanned(
                &meta.path,
                format!(
                    "unknown argument `{}`; {}",
                    path_text(&meta.path),
                    KEYS_SENTENCE
                ),
            );
            push(&mut errors, error);
            return skip_value(meta.input);
        };
        let name = key.to_string();
        let Some(&known) = KEYS.iter().find(|k| **k == name) else {
            let hint = match nearest(&name) {
                Some(near) => format!(" (did you mean `{near}`?)"),
                None => String::new(),
            };
            push(
                &mut errors,
                syn::Error::new(
                    key.span(),
                    format!("unknown argument `{name}`{hint}; {KEYS_SENTENCE}"),
                ),
            );
            return skip_value(meta.input);
        };
        if seen.contains(&key) {
            push(
                &mut errors,
                syn::Error::new(
                    key.span(),
                    format!("`{known}` is given more than once; keep one `{known} = …`"),
                ),
            );
            return skip_value(meta.input);
        }
        seen.push(key.clone());
        if !meta.input.peek(Token![=]) {
            push(&mut errors, missing_value(&key, known));
            return skip_value(meta.input);
        }
        let value = meta.value()?;
        match known {
            "etag" | "last_modified" => {
                let kind = if known == "etag" {
                    ValidatorKind::ETag
                } else {
                    ValidatorKind::LastModified
                };
                let expr: Expr = value.parse()?;
                args.validators.push(Validator { kind, expr });
            }
            "require" | "weak_if_match" | "expose_validators" => {
                let expr: Expr = value.parse()?;
                match expr {
                    Expr::Lit(ExprLit {
                        lit: Lit::Bool(flag),
                        ..
                    }) => {
                        let slot = match known {
                            "require" => &mut args.require,
                            "weak_if_match" => &mut args.weak_if_match,
                            _ => &mut args.expose_validators,
                        };
                        *slot = Some(flag);
                    }
                    other => {
                        let found = match &other {
                            Expr::Lit(ExprLit {
                                lit: Lit::Str(_), ..
                            }) => "a string",
                            Expr::Lit(ExprLit {
                                lit: Lit::Int(_) | Lit::Float(_),
                                ..
                            }) => "a number",
                            Expr::Lit(_) => "this literal",
                            _ => "an expression",
                        };
                        push(
                            &mut errors,
                            syn::Error::new_spanned(
                                other,
                                format!(
                                    "`{known}` takes `true` or `false`, not {found}: write \
                                     `{known} = true`"
                                ),
                            ),
                        );
                    }
                }
            }
            "cache_control" | "vary" => {
                let expr: Expr = value.parse()?;
                match expr {
                    Expr::Lit(ExprLit {
                        lit: Lit::Str(text),
                        ..
                    }) => match header_value_problem(&text.value()) {
                        None => {
                            let slot = if known == "cache_control" {
                                &mut args.cache_control
                            } else {
                                &mut args.vary
                            };
                            *slot = Some(text);
                        }
                        Some(problem) => push(
                            &mut errors,
                            syn::Error::new(
                                text.span(),
                                format!(
                                    "this `{known}` value is not a valid header value: {problem}"
                                ),
                            ),
                        ),
                    },
                    other => push(
                        &mut errors,
                        syn::Error::new_spanned(
                            other,
                            format!(
                                "`{known}` takes a string literal, as in `{}`; the value is \
                                 sent as written on 304s and 2xx `GET` responses",
                                example(known)
                            ),
                        ),
                    ),
                }
            }
            "state" => {
                let fork = value.fork();
                match fork.parse::<Type>() {
                    Ok(ty) if fork.is_empty() || fork.peek(Token![,]) => {
                        value.parse::<Type>()?;
                        args.state = Some(ty);
                    }
                    _ => {
                        let expr: Expr = value.parse()?;
                        push(
                            &mut errors,
                            syn::Error::new_spanned(
                                expr,
                                "`state` takes the type of your router's state (or of a part \
                                 of it that implements `FromRef`), as in `state = AppState`",
                            ),
                        );
                    }
                }
            }
            "bind" => {
                let expr: Expr = value.parse()?;
                match expr {
                    Expr::Path(path) if path.qself.is_none() && path.path.get_ident().is_some() => {
                        args.bind = path.path.get_ident().cloned();
                    }
                    other => push(
                        &mut errors,
                        syn::Error::new_spanned(
                            other,
                            "`bind` takes a name for the evaluation, as in `bind = ev`; the \
                             body can then use `ev: &Evaluation`",
                        ),
                    ),
                }
            }
            _ => unreachable!("every key of `KEYS` is handled"),
        }
        Ok(())
    });
    if let Err(error) = parser.parse2(tokens) {
        push(&mut errors, error);
    }
    match errors {
        Some(errors) => Err(errors),
        None => Ok(args),
    }
}

const KEYS_SENTENCE: &str = "the arguments are `etag`, `last_modified`, `require`, \
                             `weak_if_match`, `expose_validators`, `cache_control`, `vary`, \
                             `state` and `bind`";

fn push(errors: &mut Option<syn::Error>, error: syn::Error) {
    match errors {
        Some(errors) => errors.combine(error),
        None => *errors = Some(error),
    }
}

fn path_text(path: &syn::Path) -> String {
    let names: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    names.join("::")
}

/// Steps over `= value` or `(…)` after a key that was reported, so parsing can go on.
fn skip_value(input: ParseStream) -> syn::Result<()> {
    if input.peek(Token![=]) {
        input.parse::<Token![=]>()?;
        input.parse::<Expr>()?;
    } else if input.peek(syn::token::Paren) {
        input.parse::<proc_macro2::Group>()?;
    }
    Ok(())
}

fn missing_value(key: &Ident, known: &str) -> syn::Error {
    syn::Error::new(
        key.span(),
        format!("`{known}` needs a value: write `{}`", example(known)),
    )
}

fn example(key: &str) -> &'static str {
    match key {
        "etag" => "etag = ETag::from_version(version)",
        "last_modified" => "last_modified = modified_at",
        "require" => "require = true",
        "weak_if_match" => "weak_if_match = true",
        "expose_validators" => "expose_validators = false",
        "cache_control" => "cache_control = \"private, max-age=0, must-revalidate\"",
        "vary" => "vary = \"accept, accept-encoding\"",
        "state" => "state = AppState",
        _ => "bind = ev",
    }
}

/// Why `value` cannot be sent as a header value as written, if it cannot.
fn header_value_problem(value: &str) -> Option<String> {
    let bad = value
        .chars()
        .find(|&c| !(c == '\t' || (' '..='~').contains(&c)))?;
    Some(format!(
        "it contains {bad:?}, and only visible ASCII, spaces and tabs are allowed"
    ))
}

/// The known key closest to a mistyped one, if it is close enough to be what was meant.
fn nearest(name: &str) -> Option<&'static str> {
    KEYS.iter()
        .map(|key| (edit_distance(name, key), *key))
        .filter(|(distance, key)| *distance <= (key.len() / 3).max(2))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, key)| key)
}

/// Levenshtein distance, case-insensitive.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.to_lowercase().chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            let insertion = current[j] + 1;
            let deletion = previous[j + 1] + 1;
            current.push(substitution.min(insertion).min(deletion));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_suggests_close_keys_only() {
        assert_eq!(nearest("etags"), Some("etag"));
        assert_eq!(nearest("last_modifed"), Some("last_modified"));
        assert_eq!(nearest("lastmodified"), Some("last_modified"));
        assert_eq!(nearest("required"), Some("require"));
        assert_eq!(nearest("cache"), None);
        assert_eq!(nearest("totally_different"), None);
    }
}
