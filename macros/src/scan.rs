//! What names a pattern binds, and what names and `?` a validator expression uses.
//!
//! Name resolution is the compiler's job; this is a syntactic over-approximation used for one
//! decision: whether a validator needs the last argument, which then cannot be deferred. A
//! name counts as used wherever it appears as a single-segment path, inside macro arguments
//! too, and as `{name}` or `{name:…}` in a string literal inside a macro call (inline format
//! arguments, which a syntax-tree walk alone would miss).

use proc_macro2::{Span, TokenStream, TokenTree};
use syn::punctuated::Punctuated;
use syn::visit::{self, Visit};
use syn::{Expr, Ident, LitStr, Pat, Token};

/// The identifiers a parameter pattern binds: `Path((a, b))` binds `a` and `b`.
pub(crate) fn bindings(pat: &Pat) -> Vec<Ident> {
    struct Bindings(Vec<Ident>);
    impl<'ast> Visit<'ast> for Bindings {
        fn visit_pat_ident(&mut self, node: &'ast syn::PatIdent) {
            self.0.push(node.ident.clone());
            visit::visit_pat_ident(self, node);
        }
        // Paths inside patterns (`Json(x)`, `State { .. }`) name types, not bindings.
        fn visit_path(&mut self, _: &'ast syn::Path) {}
        fn visit_type(&mut self, _: &'ast syn::Type) {}
        fn visit_expr(&mut self, _: &'ast Expr) {}
    }
    let mut found = Bindings(Vec::new());
    found.visit_pat(pat);
    found.0
}

/// What a validator expression uses.
#[derive(Default)]
pub(crate) struct Uses {
    /// Every name that may refer to a local binding, with where it appears.
    pub(crate) names: Vec<(String, Span)>,
    /// The `?` operators that apply to the validator itself (not those inside closures,
    /// `async` blocks or nested items, which have their own return type).
    pub(crate) questions: Vec<Span>,
}

impl Uses {
    pub(crate) fn of(expr: &Expr) -> Self {
        let mut scanner = Scanner {
            uses: Uses::default(),
            nested: 0,
            in_macro: false,
        };
        scanner.visit_expr(expr);
        scanner.uses
    }

    /// Where `name` is used first, if it is.
    pub(crate) fn find(&self, name: &Ident) -> Option<Span> {
        let name = name.to_string();
        self.names
            .iter()
            .find(|(used, _)| *used == name)
            .map(|(_, span)| *span)
    }
}

struct Scanner {
    uses: Uses,
    /// How many closures or `async` blocks enclose the current node.
    nested: usize,
    /// Whether the current node was parsed out of a macro call's tokens.
    in_macro: bool,
}

impl<'ast> Visit<'ast> for Scanner {
    fn visit_expr_path(&mut self, node: &'ast syn::ExprPath) {
        if node.qself.is_none()
            && let Some(ident) = node.path.get_ident()
        {
            self.uses.names.push((ident.to_string(), ident.span()));
        }
        visit::visit_expr_path(self, node);
    }

    fn visit_expr_try(&mut self, node: &'ast syn::ExprTry) {
        if self.nested == 0 {
            self.uses.questions.push(node.question_token.span);
        }
        visit::visit_expr_try(self, node);
    }

    fn visit_expr_closure(&mut self, node: &'ast syn::ExprClosure) {
        self.nested += 1;
        visit::visit_expr_closure(self, node);
        self.nested -= 1;
    }

    fn visit_expr_async(&mut self, node: &'ast syn::ExprAsync) {
        self.nested += 1;
        visit::visit_expr_async(self, node);
        self.nested -= 1;
    }

    // A nested item cannot see the handler's locals.
    fn visit_item(&mut self, _: &'ast syn::Item) {}

    fn visit_lit_str(&mut self, node: &'ast LitStr) {
        if self.in_macro {
            for name in format_arguments(&node.value()) {
                self.uses.names.push((name, node.span()));
            }
        }
    }

    fn visit_macro(&mut self, node: &'ast syn::Macro) {
        let was_in_macro = std::mem::replace(&mut self.in_macro, true);
        let parser = Punctuated::<Expr, Token![,]>::parse_terminated;
        match syn::parse::Parser::parse2(parser, node.tokens.clone()) {
            Ok(exprs) => {
                for expr in &exprs {
                    self.visit_expr(expr);
                }
            }
            Err(_) => self.scan_tokens(node.tokens.clone()),
        }
        self.in_macro = was_in_macro;
    }
}

impl Scanner {
    /// Fallback for macro input that is not a list of expressions: every identifier, every
    /// `?` and every format argument of a string literal counts.
    fn scan_tokens(&mut self, tokens: TokenStream) {
        for token in tokens {
            match token {
                TokenTree::Ident(ident) => self.uses.names.push((ident.to_string(), ident.span())),
                TokenTree::Punct(punct) if punct.as_char() == '?' && self.nested == 0 => {
                    self.uses.questions.push(punct.span());
                }
                TokenTree::Group(group) => self.scan_tokens(group.stream()),
                TokenTree::Literal(literal) => {
                    if let Ok(text) = syn::parse2::<LitStr>(TokenTree::Literal(literal).into()) {
                        self.visit_lit_str(&text);
                    }
                }
                TokenTree::Punct(_) => {}
            }
        }
    }
}

/// The named arguments of a format string: `"v{id}-{rev:>4}{{x}}"` gives `id` and `rev`.
pub(crate) fn format_arguments(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
            }
            '{' => {
                let mut name = String::new();
                while let Some(&c) = chars.peek() {
                    if c == '}' || c == ':' {
                        break;
                    }
                    name.push(c);
                    chars.next();
                }
                let name = name.trim();
                let is_ident = name
                    .chars()
                    .next()
                    .is_some_and(|c| c == '_' || c.is_alphabetic())
                    && name.chars().all(|c| c == '_' || c.is_alphanumeric());
                if is_ident {
                    names.push(name.to_owned());
                }
            }
            _ => {}
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(expr: &str) -> Vec<String> {
        let expr: Expr = syn::parse_str(expr).unwrap_or_else(|e| panic!("{expr}: {e}"));
        Uses::of(&expr).names.into_iter().map(|(n, _)| n).collect()
    }

    #[test]
    fn format_arguments_finds_inline_names_only() {
        assert_eq!(format_arguments("v{id}-{rev:>4}{{x}}{}{0}"), ["id", "rev"]);
    }

    #[test]
    fn uses_include_inline_format_arguments_inside_macros() {
        let used = names(r#"ETag::strong(format!("v{doc}"))"#);
        assert!(used.contains(&"doc".to_owned()), "{used:?}");
    }

    #[test]
    fn uses_skip_multi_segment_paths() {
        assert_eq!(names("ETag::from_version(id)"), ["id"]);
    }

    #[test]
    fn questions_inside_closures_do_not_count() {
        let expr: Expr =
            syn::parse_str("a.map(|x| x.parse().ok()?).await?").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(Uses::of(&expr).questions.len(), 1);
    }

    #[test]
    fn bindings_of_tuple_struct_patterns() {
        let pat: Pat = syn::parse::Parser::parse_str(Pat::parse_single, "Path((a, mut b))")
            .unwrap_or_else(|e| panic!("{e}"));
        let found: Vec<String> = bindings(&pat).iter().map(Ident::to_string).collect();
        assert_eq!(found, ["a", "b"]);
    }
}
