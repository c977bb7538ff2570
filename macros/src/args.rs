//! Parsing the attribute's arguments: `#[conditional(etag = …, last_modified = …, …)]`.
//!
//! Parsing goes on after a mistake whenever the syntax allows, so that every wrong key and
//! value is reported at once. The result is the model the later stages read: every default is
//! applied here (a [`Flag`] holds its value whether written or not), and each validator carries
//! what its expression uses (`scan::Uses`), found once.

use proc_macro2::{Span, TokenStream};
use syn::parse::{ParseStream, Parser};
use syn::{Expr, ExprLit, Ident, Lit, LitBool, LitStr, Token, Type};

use crate::ctxt::Ctxt;
use crate::scan::Uses;

/// Declares the keys in one table, from which the parser, the list of keys in the messages and
/// the "did you mean" suggestions are all built: a key added here is known everywhere, and the
/// `match` of the parser does not compile until it says how to read the key's value.
macro_rules! keys {
    ($($key:ident: $name:ident = $value:literal,)*) => {
        /// A key the attribute accepts.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub(crate) enum Key {
            $($key,)*
        }

        impl Key {
            /// Every key, in the order the documentation lists them.
            pub(crate) const ALL: &[Key] = &[$(Key::$key,)*];

            /// The key as written in the attribute.
            pub(crate) fn name(self) -> &'static str {
                match self {
                    $(Key::$key => stringify!($name),)*
                }
            }

            /// A typical value, as the messages show it.
            fn example_value(self) -> &'static str {
                match self {
                    $(Key::$key => $value,)*
                }
            }

            /// `key = value` with the typical value, as the messages show it.
            fn example(self) -> &'static str {
                match self {
                    $(Key::$key => concat!(stringify!($name), " = ", $value),)*
                }
            }
        }
    };
}

keys! {
    ETag: etag = "ETag::from_version(version)",
    LastModified: last_modified = "modified_at",
    Exists: exists = "store.contains(id).await",
    Require: require = "true",
    Creates: creates = "true",
    WeakIfMatch: weak_if_match = "true",
    // `true` is the default: the example shows the value worth writing.
    ExposeValidators: expose_validators = "false",
    CacheControl: cache_control = "\"private, max-age=0, must-revalidate\"",
    Vary: vary = "\"accept, accept-encoding\"",
    Ranges: ranges = "true",
    StrongLastModified: strong_last_modified = "true",
    AlreadyApplied: already_applied = "|sent| store.holds(id, sent)",
    State: state = "AppState",
    Bind: bind = "ev",
}

impl Key {
    fn of(ident: &Ident) -> Option<Key> {
        Key::ALL.iter().copied().find(|key| ident == key.name())
    }
}

/// Which fact about the resource an expression gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ValidatorKind {
    ETag,
    LastModified,
    /// Whether the resource exists, for one that may exist without a validator.
    Exists,
    /// Whether the `Last-Modified` is strong, per request: `strong_last_modified = EXPR` with
    /// an expression rather than a `true` or `false` literal (RFC 9110 §8.8.2.2).
    StrongLastModified,
}

/// An expression over the handler's arguments, run before the preconditions: `etag = EXPR`,
/// `last_modified = EXPR` or `exists = EXPR`.
pub(crate) struct Validator {
    pub(crate) kind: ValidatorKind,
    pub(crate) expr: Expr,
    /// The names, `?`, `return` and `.await` the expression uses.
    pub(crate) uses: Uses,
}

impl Validator {
    fn new(kind: ValidatorKind, expr: Expr) -> Self {
        let uses = Uses::of(&expr);
        Validator { kind, expr, uses }
    }
}

/// A `true`-or-`false` argument, with its default applied when it is not written.
pub(crate) struct Flag {
    pub(crate) value: bool,
    /// The literal as written, to point at; `None` when `value` is the default.
    pub(crate) written: Option<LitBool>,
}

impl Flag {
    fn default_to(value: bool) -> Self {
        Flag {
            value,
            written: None,
        }
    }
}

/// The parsed arguments. Absent flags hold their default; other absent keys are `None`.
pub(crate) struct Args {
    /// The validators, in the order they were written (they run in that order).
    pub(crate) validators: Vec<Validator>,
    pub(crate) require: Flag,
    /// `creates = …` as written: its default depends on the method (`PUT` creates, `PATCH`
    /// does not), which the route decides, so an unwritten one stays `None` here and is
    /// resolved by the runtime's `Policy::can_create` (and, for the document, by the method
    /// of `#[utoipa::path]`).
    pub(crate) creates: Option<LitBool>,
    pub(crate) weak_if_match: Flag,
    pub(crate) expose_validators: Flag,
    pub(crate) cache_control: Option<LitStr>,
    pub(crate) vary: Option<LitStr>,
    pub(crate) ranges: Flag,
    pub(crate) strong_last_modified: Flag,
    /// `already_applied = CHECK`: given the request content after a false `If-Match` or
    /// `If-Unmodified-Since`, whether the request was already applied (RFC 9110 §13.1.1).
    pub(crate) already_applied: Option<Expr>,
    pub(crate) state: Option<Type>,
    pub(crate) bind: Option<Ident>,
}

/// The defaults, in the one place they are decided.
impl Default for Args {
    fn default() -> Self {
        Args {
            validators: Vec::new(),
            require: Flag::default_to(false),
            creates: None,
            weak_if_match: Flag::default_to(false),
            // Validators are shown on 412s unless the route says otherwise, so that a client can
            // re-read and retry.
            expose_validators: Flag::default_to(true),
            cache_control: None,
            vary: None,
            ranges: Flag::default_to(false),
            strong_last_modified: Flag::default_to(false),
            already_applied: None,
            state: None,
            bind: None,
        }
    }
}

impl Args {
    pub(crate) fn validator(&self, kind: ValidatorKind) -> Option<&Validator> {
        self.validators.iter().find(|v| v.kind == kind)
    }

    /// Reads the value of `key` from after its `=`, recording a value of the wrong kind in
    /// `cx`. `Err` is a syntax error that parsing cannot step over.
    fn read(&mut self, cx: &Ctxt, key: Key, value: ParseStream) -> syn::Result<()> {
        match key {
            Key::ETag => self
                .validators
                .push(Validator::new(ValidatorKind::ETag, value.parse()?)),
            Key::LastModified => self
                .validators
                .push(Validator::new(ValidatorKind::LastModified, value.parse()?)),
            Key::Exists => self
                .validators
                .push(Validator::new(ValidatorKind::Exists, value.parse()?)),
            Key::Require => flag(cx, key, value, &mut self.require)?,
            Key::Creates => {
                let mut creates = Flag::default_to(false);
                flag(cx, key, value, &mut creates)?;
                self.creates = creates.written;
            }
            Key::WeakIfMatch => flag(cx, key, value, &mut self.weak_if_match)?,
            Key::ExposeValidators => flag(cx, key, value, &mut self.expose_validators)?,
            Key::CacheControl => self.cache_control = header_text(cx, key, value)?,
            Key::Vary => self.vary = header_text(cx, key, value)?,
            Key::Ranges => flag(cx, key, value, &mut self.ranges)?,
            Key::StrongLastModified => {
                // A literal is the route's; any other expression is the store's knowledge of
                // this request's resource, run with the validators.
                let expr: Expr = value.parse()?;
                if let Expr::Lit(ExprLit {
                    lit: Lit::Bool(written),
                    ..
                }) = expr
                {
                    self.strong_last_modified.value = written.value;
                    self.strong_last_modified.written = Some(written);
                } else {
                    self.validators
                        .push(Validator::new(ValidatorKind::StrongLastModified, expr));
                }
            }
            Key::AlreadyApplied => self.already_applied = Some(value.parse()?),
            Key::State => self.state = state(cx, value)?,
            Key::Bind => self.bind = bind(cx, value)?,
        }
        Ok(())
    }
}

/// Parses the arguments, recording every mistake in `cx`. `None` when any argument is wrong;
/// parsing stops only at a syntax error it cannot step over.
pub(crate) fn parse(cx: &Ctxt, tokens: TokenStream) -> Option<Args> {
    let before = cx.error_count();
    let mut args = Args::default();
    let mut seen: Vec<Key> = Vec::new();
    let parser = syn::meta::parser(|meta| {
        let Some((key, span)) = known_key(cx, &meta.path) else {
            return skip_value(meta.input);
        };
        if seen.contains(&key) {
            let name = key.name();
            cx.error_at(
                span,
                format!("`{name}` is given more than once; keep one `{name} = …`"),
            );
            return skip_value(meta.input);
        }
        seen.push(key);
        if !meta.input.peek(Token![=]) {
            let name = key.name();
            cx.error_at(
                span,
                format!("`{name}` needs a value: write `{}`", key.example()),
            );
            return skip_value(meta.input);
        }
        args.read(cx, key, meta.value()?)
    });
    if let Err(error) = parser.parse2(tokens) {
        cx.syn_error(error);
    }
    (cx.error_count() == before).then_some(args)
}

/// The key `path` names, with the span to point at; an unknown one is recorded in `cx`.
fn known_key(cx: &Ctxt, path: &syn::Path) -> Option<(Key, Span)> {
    let Some(ident) = path.get_ident() else {
        cx.error_spanned_by(
            path,
            format!(
                "unknown argument `{}`; {}",
                path_text(path),
                keys_sentence()
            ),
        );
        return None;
    };
    if let Some(key) = Key::of(ident) {
        return Some((key, ident.span()));
    }
    let hint = match nearest(&ident.to_string()) {
        Some(near) => format!(" (did you mean `{}`?)", near.name()),
        None => String::new(),
    };
    cx.error_at(
        ident.span(),
        format!("unknown argument `{ident}`{hint}; {}", keys_sentence()),
    );
    None
}

/// "the arguments are `a`, `b` and `c`", from the table.
fn keys_sentence() -> String {
    let last = Key::ALL.len() - 1;
    let mut sentence = String::from("the arguments are ");
    for (i, key) in Key::ALL.iter().enumerate() {
        let separator = match i {
            0 => "",
            i if i == last => " and ",
            _ => ", ",
        };
        sentence.push_str(&format!("{separator}`{}`", key.name()));
    }
    sentence
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

/// `true` or `false`, for `require`, `creates`, `weak_if_match`, `expose_validators` and
/// `ranges`, written into `flag`; a value of another kind leaves it as it was.
fn flag(cx: &Ctxt, key: Key, value: ParseStream, flag: &mut Flag) -> syn::Result<()> {
    let expr: Expr = value.parse()?;
    if let Expr::Lit(ExprLit {
        lit: Lit::Bool(written),
        ..
    }) = expr
    {
        flag.value = written.value;
        flag.written = Some(written);
        return Ok(());
    }
    let found = match &expr {
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
    cx.error_spanned_by(
        expr,
        format!(
            "`{}` takes `true` or `false`, not {found}: write `{}`",
            key.name(),
            key.example()
        ),
    );
    Ok(())
}

/// A string literal sent as a header value, for `cache_control` and `vary`.
fn header_text(cx: &Ctxt, key: Key, value: ParseStream) -> syn::Result<Option<LitStr>> {
    let expr: Expr = value.parse()?;
    let Expr::Lit(ExprLit {
        lit: Lit::Str(text),
        ..
    }) = expr
    else {
        cx.error_spanned_by(
            expr,
            format!(
                "`{}` takes a string literal, as in `{}`; the value is sent as written on 304s \
                 and 2xx `GET` responses",
                key.name(),
                key.example()
            ),
        );
        return Ok(None);
    };
    if let Some(problem) = header_value_problem(&text.value()) {
        cx.error_at(
            text.span(),
            format!(
                "this `{}` value is not a valid header value: {problem}",
                key.name()
            ),
        );
        return Ok(None);
    }
    Ok(Some(text))
}

/// A type, for `state`. A value that is not one is read as an expression, to point at it whole.
fn state(cx: &Ctxt, value: ParseStream) -> syn::Result<Option<Type>> {
    let fork = value.fork();
    if let Ok(ty) = fork.parse::<Type>()
        && (fork.is_empty() || fork.peek(Token![,]))
    {
        value.parse::<Type>()?;
        return Ok(Some(ty));
    }
    let expr: Expr = value.parse()?;
    cx.error_spanned_by(
        expr,
        format!(
            "`{}` takes the type of your router's state (or of a part of it that implements \
             `FromRef`), as in `{}`",
            Key::State.name(),
            Key::State.example()
        ),
    );
    Ok(None)
}

/// An identifier, for `bind`.
fn bind(cx: &Ctxt, value: ParseStream) -> syn::Result<Option<Ident>> {
    let expr: Expr = value.parse()?;
    if let Expr::Path(path) = &expr
        && path.qself.is_none()
        && let Some(ident) = path.path.get_ident()
    {
        return Ok(Some(ident.clone()));
    }
    cx.error_spanned_by(
        expr,
        format!(
            "`{}` takes a name for the evaluation, as in `{}`; the body can then use `{}: \
             &Evaluation`",
            Key::Bind.name(),
            Key::Bind.example(),
            Key::Bind.example_value()
        ),
    );
    Ok(None)
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
fn nearest(name: &str) -> Option<Key> {
    Key::ALL
        .iter()
        .map(|&key| (edit_distance(name, key.name()), key))
        .filter(|&(distance, key)| distance <= (key.name().len() / 3).max(2))
        .min_by_key(|&(distance, _)| distance)
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

    /// Parses `input` as the attribute's arguments: the arguments, or every message.
    fn parse_text(input: &str) -> Result<Args, syn::Error> {
        let cx = Ctxt::new();
        let tokens: TokenStream = input.parse().expect("test input is valid tokens");
        let args = parse(&cx, tokens);
        cx.check()?;
        Ok(args.expect("no mistake was recorded, so the arguments are given"))
    }

    fn messages(input: &str) -> Vec<String> {
        match parse_text(input) {
            Ok(_) => panic!("`{input}` parsed without error"),
            Err(error) => error.into_iter().map(|e| e.to_string()).collect(),
        }
    }

    /// Whether `key` was given a value.
    fn given(args: &Args, key: Key) -> bool {
        match key {
            Key::ETag => args.validator(ValidatorKind::ETag).is_some(),
            Key::LastModified => args.validator(ValidatorKind::LastModified).is_some(),
            Key::Exists => args.validator(ValidatorKind::Exists).is_some(),
            Key::Require => args.require.written.is_some(),
            Key::Creates => args.creates.is_some(),
            Key::WeakIfMatch => args.weak_if_match.written.is_some(),
            Key::ExposeValidators => args.expose_validators.written.is_some(),
            Key::CacheControl => args.cache_control.is_some(),
            Key::Vary => args.vary.is_some(),
            Key::Ranges => args.ranges.written.is_some(),
            Key::StrongLastModified => {
                args.strong_last_modified.written.is_some()
                    || args.validator(ValidatorKind::StrongLastModified).is_some()
            }
            Key::AlreadyApplied => args.already_applied.is_some(),
            Key::State => args.state.is_some(),
            Key::Bind => args.bind.is_some(),
        }
    }

    #[test]
    fn every_key_parses_from_the_example_its_messages_show() {
        for &key in Key::ALL {
            let args = parse_text(key.example())
                .unwrap_or_else(|e| panic!("`{}` does not parse: {e}", key.example()));
            for &other in Key::ALL {
                assert_eq!(
                    given(&args, other),
                    other == key,
                    "{other:?} after `{key:?}`"
                );
            }
        }
    }

    #[test]
    fn every_key_is_known_and_asks_for_its_value() {
        for &key in Key::ALL {
            let name = key.name();
            assert_eq!(
                messages(name),
                [format!("`{name}` needs a value: write `{}`", key.example())]
            );
        }
    }

    #[test]
    fn all_keys_together_parse() {
        let input: Vec<&str> = Key::ALL.iter().map(|key| key.example()).collect();
        let args = parse_text(&input.join(", ")).expect("every example together parses");
        assert!(Key::ALL.iter().all(|&key| given(&args, key)));
    }

    #[test]
    fn the_documented_table_lists_the_keys_in_order() {
        // The rows of the `# Arguments` table of `#[conditional]`'s rustdoc, which is on the
        // re-export in the runtime crate: "/// | `key = …". Read as a file, not compiled in, so
        // that this crate builds on its own.
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../runtime/src/lib.rs");
        let docs = std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("{path}: the attribute's documentation: {e}"));
        let documented: Vec<&str> = docs
            .lines()
            .filter_map(|line| line.strip_prefix("/// | `"))
            .filter_map(|row| row.split_once(" = ").map(|(key, _)| key))
            .collect();
        let keys: Vec<&str> = Key::ALL.iter().map(|key| key.name()).collect();
        assert_eq!(documented, keys);
    }

    #[test]
    fn unknown_key_suggests_the_nearest_and_lists_the_table() {
        let list = "the arguments are `etag`, `last_modified`, `exists`, `require`, \
                    `creates`, `weak_if_match`, `expose_validators`, `cache_control`, `vary`, `ranges`, \
                    `strong_last_modified`, `already_applied`, `state` and `bind`";
        assert_eq!(
            messages("etags = 1"),
            [format!(
                "unknown argument `etags` (did you mean `etag`?); {list}"
            )]
        );
        assert_eq!(
            messages("max_age = 60"),
            [format!("unknown argument `max_age`; {list}")]
        );
        assert_eq!(
            messages("http::etag = 1"),
            [format!("unknown argument `http::etag`; {list}")]
        );
    }

    #[test]
    fn nearest_suggests_close_keys_only() {
        let near = |name| nearest(name).map(Key::name);
        assert_eq!(near("etags"), Some("etag"));
        assert_eq!(near("last_modifed"), Some("last_modified"));
        assert_eq!(near("lastmodified"), Some("last_modified"));
        assert_eq!(near("required"), Some("require"));
        assert_eq!(near("Vary"), Some("vary"));
        assert_eq!(near("cache"), None);
        assert_eq!(near("totally_different"), None);
    }

    #[test]
    fn duplicate_key_points_at_the_second() {
        let input = "etag = a, require = true, etag = b";
        let error = parse_text(input).err().expect("a duplicate is a mistake");
        assert_eq!(
            error.to_string(),
            "`etag` is given more than once; keep one `etag = …`"
        );
        let start = error.span().start();
        assert_eq!(
            (start.line, start.column),
            (1, input.rfind("etag").unwrap_or(0))
        );
    }

    #[test]
    fn every_mistake_is_reported_in_source_order() {
        assert_eq!(
            messages("etag = 1, require = yes, vary = 2, require = true, bind"),
            [
                "`require` takes `true` or `false`, not an expression: write `require = true`",
                "`vary` takes a string literal, as in `vary = \"accept, accept-encoding\"`; the \
                 value is sent as written on 304s and 2xx `GET` responses",
                "`require` is given more than once; keep one `require = …`",
                "`bind` needs a value: write `bind = ev`",
            ]
        );
    }

    #[test]
    fn an_absent_flag_holds_its_default_and_a_written_one_its_value() {
        let args = parse_text("etag = tag").expect("valid arguments");
        let defaults = [
            (&args.require, false),
            (&args.weak_if_match, false),
            (&args.expose_validators, true),
            (&args.ranges, false),
            (&args.strong_last_modified, false),
        ];
        for (flag, default) in defaults {
            assert_eq!((flag.value, flag.written.is_some()), (default, false));
        }
        let args = parse_text("etag = tag, expose_validators = false, require = true")
            .expect("valid arguments");
        assert!(!args.expose_validators.value && args.expose_validators.written.is_some());
        assert!(args.require.value && args.require.written.is_some());
    }

    #[test]
    fn a_validator_carries_what_its_expression_uses() {
        let args = parse_text("etag = load(id).await?, exists = true").expect("valid arguments");
        let uses = &args.validators[0].uses;
        assert_eq!((uses.questions.len(), uses.awaits), (1, true));
        assert!(uses.names.iter().any(|(name, _)| name == "id"));
        let uses = &args.validators[1].uses;
        assert_eq!((uses.questions.len(), uses.awaits), (0, false));
    }

    #[test]
    fn a_flag_of_the_wrong_kind_shows_the_value_worth_writing() {
        // `expose_validators` is `true` by default: the message suggests `false`.
        assert_eq!(
            messages("expose_validators = \"no\""),
            [
                "`expose_validators` takes `true` or `false`, not a string: write \
              `expose_validators = false`"
            ]
        );
    }
}
