//! What names a pattern binds, and what names, `?`, `return` and `.await` a validator
//! expression uses.
//!
//! Name resolution is the compiler's job; this is a syntactic approximation used for one
//! decision: whether a validator needs the last argument, which then cannot be deferred. A use
//! of a name is a free occurrence of it as a path expression of one segment, inside macro
//! arguments too, or as `{name}` or `{name:…}` in a string literal inside a macro call (inline
//! format arguments, which a syntax-tree walk alone would miss). An occurrence is not free when
//! a pattern of the expression binds the name in an enclosing scope: a `let` earlier in the
//! block, a closure parameter, a `match` arm, an `if let` or `while let` condition, a `for`
//! pattern. Fields (`x.doc`), methods (`.doc()`) and paths of several segments (`doc::f`) name
//! no local. Where the syntax cannot tell (the tokens of a macro that are not expressions),
//! every identifier counts: a false use makes an error or extracts the argument early, never
//! lets a validator read a body that was not extracted.

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
    /// Every free occurrence of a name that may refer to a local binding, with where it
    /// appears.
    pub(crate) names: Vec<(String, Span)>,
    /// The `?` operators that apply to the validator itself (not those inside closures,
    /// `async` blocks or nested items, which have their own return type).
    pub(crate) questions: Vec<Span>,
    /// The `return` tokens that would leave the validator itself (same exclusions as `?`).
    pub(crate) returns: Vec<Span>,
    /// Whether the validator itself `.await`s (same exclusions), so that it may hold a value
    /// across an await point.
    pub(crate) awaits: bool,
}

impl Uses {
    pub(crate) fn of(expr: &Expr) -> Self {
        let mut scanner = Scanner {
            uses: Uses::default(),
            nested: 0,
            in_macro: false,
            scopes: Vec::new(),
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
    /// The names bound inside the expression around the current node, innermost scope last.
    scopes: Vec<Vec<String>>,
}

impl Scanner {
    fn is_bound(&self, name: &str) -> bool {
        self.scopes.iter().flatten().any(|bound| bound == name)
    }

    fn record(&mut self, name: String, span: Span) {
        if !self.is_bound(&name) {
            self.uses.names.push((name, span));
        }
    }

    /// Adds the names `pat` binds to the innermost scope.
    fn bind(&mut self, pat: &Pat) {
        let names = bindings(pat)
            .iter()
            .map(Ident::to_string)
            .collect::<Vec<_>>();
        match self.scopes.last_mut() {
            Some(scope) => scope.extend(names),
            None => self.scopes.push(names),
        }
    }

    /// Runs `f` in a new scope, which the names `pats` bind open.
    fn scoped<'p>(&mut self, pats: impl IntoIterator<Item = &'p Pat>, f: impl FnOnce(&mut Self)) {
        self.scopes.push(Vec::new());
        for pat in pats {
            self.bind(pat);
        }
        f(self);
        self.scopes.pop();
    }

    /// The condition of an `if` or `while`: the names a `let` binds are in scope for the rest
    /// of a `&&` chain, and for the block the caller visits next in the same scope.
    fn visit_condition(&mut self, cond: &Expr) {
        match cond {
            Expr::Let(binding) => {
                self.visit_expr(&binding.expr);
                self.bind(&binding.pat);
            }
            Expr::Binary(chain) if matches!(chain.op, syn::BinOp::And(_)) => {
                self.visit_condition(&chain.left);
                self.visit_condition(&chain.right);
            }
            Expr::Paren(inner) => self.visit_condition(&inner.expr),
            other => self.visit_expr(other),
        }
    }

    fn nested(&mut self, f: impl FnOnce(&mut Self)) {
        self.nested += 1;
        f(self);
        self.nested -= 1;
    }
}

impl<'ast> Visit<'ast> for Scanner {
    fn visit_expr_path(&mut self, node: &'ast syn::ExprPath) {
        if node.qself.is_none()
            && let Some(ident) = node.path.get_ident()
        {
            self.record(ident.to_string(), ident.span());
        }
        visit::visit_expr_path(self, node);
    }

    // A pattern cannot use a local, but the guard of a `match` arm (`Some(n) if n > max`, part
    // of the arm's pattern in this syntax tree) can; the names a pattern binds are handled
    // where it is.
    fn visit_pat(&mut self, node: &'ast Pat) {
        match node {
            Pat::Guard(guarded) => self.visit_expr(&guarded.guard),
            Pat::Paren(inner) => self.visit_pat(&inner.pat),
            _ => {}
        }
    }

    fn visit_block(&mut self, node: &'ast syn::Block) {
        self.scoped([], |this| {
            for stmt in &node.stmts {
                match stmt {
                    // `let pat = init else { … };`: `pat` is in scope after the statement only.
                    syn::Stmt::Local(local) => {
                        if let Some(init) = &local.init {
                            this.visit_expr(&init.expr);
                            if let Some((_, diverge)) = &init.diverge {
                                this.visit_expr(diverge);
                            }
                        }
                        this.bind(&local.pat);
                    }
                    other => this.visit_stmt(other),
                }
            }
        });
    }

    fn visit_expr_closure(&mut self, node: &'ast syn::ExprClosure) {
        self.nested(|this| this.scoped(&node.inputs, |this| this.visit_expr(&node.body)));
    }

    fn visit_expr_async(&mut self, node: &'ast syn::ExprAsync) {
        self.nested(|this| visit::visit_expr_async(this, node));
    }

    fn visit_expr_match(&mut self, node: &'ast syn::ExprMatch) {
        self.visit_expr(&node.expr);
        for arm in &node.arms {
            self.scoped([&arm.pat], |this| {
                this.visit_pat(&arm.pat);
                this.visit_expr(&arm.body);
            });
        }
    }

    fn visit_expr_if(&mut self, node: &'ast syn::ExprIf) {
        self.scoped([], |this| {
            this.visit_condition(&node.cond);
            this.visit_block(&node.then_branch);
        });
        if let Some((_, otherwise)) = &node.else_branch {
            self.visit_expr(otherwise);
        }
    }

    fn visit_expr_while(&mut self, node: &'ast syn::ExprWhile) {
        self.scoped([], |this| {
            this.visit_condition(&node.cond);
            this.visit_block(&node.body);
        });
    }

    fn visit_expr_for_loop(&mut self, node: &'ast syn::ExprForLoop) {
        self.visit_expr(&node.expr);
        self.scoped([&*node.pat], |this| this.visit_block(&node.body));
    }

    fn visit_expr_try(&mut self, node: &'ast syn::ExprTry) {
        if self.nested == 0 {
            self.uses.questions.push(node.question_token.span);
        }
        visit::visit_expr_try(self, node);
    }

    fn visit_expr_return(&mut self, node: &'ast syn::ExprReturn) {
        if self.nested == 0 {
            self.uses.returns.push(node.return_token.span);
        }
        visit::visit_expr_return(self, node);
    }

    fn visit_expr_await(&mut self, node: &'ast syn::ExprAwait) {
        if self.nested == 0 {
            self.uses.awaits = true;
        }
        visit::visit_expr_await(self, node);
    }

    // A nested item cannot see the handler's locals, and its `return` and `?` are its own.
    fn visit_item(&mut self, _: &'ast syn::Item) {}

    fn visit_lit_str(&mut self, node: &'ast LitStr) {
        if self.in_macro {
            for name in format_arguments(&node.value()) {
                self.record(name, node.span());
            }
        }
    }

    fn visit_macro(&mut self, node: &'ast syn::Macro) {
        let was_in_macro = std::mem::replace(&mut self.in_macro, true);
        let parser = Punctuated::<Expr, Token![,]>::parse_terminated;
        match syn::parse::Parser::parse2(parser, node.tokens.clone()) {
            Ok(exprs) => self.visit_macro_arguments(&exprs),
            Err(_) => self.scan_tokens(node.tokens.clone()),
        }
        self.in_macro = was_in_macro;
    }
}

impl Scanner {
    /// The arguments of a macro call that parse as expressions. `name = value` is a named
    /// format argument: `{name}` in the format string means it, not a local.
    fn visit_macro_arguments(&mut self, exprs: &Punctuated<Expr, Token![,]>) {
        let names = exprs.iter().filter_map(named_argument);
        let names: Vec<String> = names.map(|(name, _)| name.to_string()).collect();
        for expr in exprs {
            match (named_argument(expr), expr) {
                (Some((_, value)), _) => self.visit_expr(value),
                (None, Expr::Lit(_)) => {
                    self.scopes.push(names.clone());
                    self.visit_expr(expr);
                    self.scopes.pop();
                }
                (None, _) => self.visit_expr(expr),
            }
        }
    }

    /// Fallback for macro input that is not a list of expressions: every identifier that is
    /// not a field, a method or a segment of a longer path counts, and so do every `?`, every
    /// `.await` and every format argument of a string literal.
    fn scan_tokens(&mut self, tokens: TokenStream) {
        let tokens: Vec<TokenTree> = tokens.into_iter().collect();
        let punct = |i: Option<usize>, c: char| {
            i.and_then(|i| tokens.get(i))
                .is_some_and(|t| matches!(t, TokenTree::Punct(p) if p.as_char() == c))
        };
        for (i, token) in tokens.iter().enumerate() {
            match token {
                TokenTree::Ident(ident) => {
                    let before = i.checked_sub(1);
                    let after_dot = punct(before, '.');
                    let in_path = punct(before, ':')
                        && punct(before.and_then(|b| b.checked_sub(1)), ':')
                        || punct(Some(i + 1), ':') && punct(Some(i + 2), ':');
                    if after_dot && ident == "await" && self.nested == 0 {
                        self.uses.awaits = true;
                    } else if !after_dot && !in_path && !punct(Some(i + 1), '!') {
                        self.record(ident.to_string(), ident.span());
                    }
                }
                TokenTree::Punct(punct) if punct.as_char() == '?' && self.nested == 0 => {
                    self.uses.questions.push(punct.span());
                }
                TokenTree::Group(group) => self.scan_tokens(group.stream()),
                TokenTree::Literal(literal) => {
                    if let Ok(text) =
                        syn::parse2::<LitStr>(TokenTree::Literal(literal.clone()).into())
                    {
                        self.visit_lit_str(&text);
                    }
                }
                TokenTree::Punct(_) => {}
            }
        }
    }
}

/// `name = value` in a macro call: the name and the value.
fn named_argument(expr: &Expr) -> Option<(&Ident, &Expr)> {
    let Expr::Assign(assign) = expr else {
        return None;
    };
    match &*assign.left {
        Expr::Path(path) if path.qself.is_none() => {
            path.path.get_ident().map(|name| (name, &*assign.right))
        }
        _ => None,
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

    /// How many times `doc` is used free in `expr`.
    fn doc_uses(expr: &str) -> usize {
        names(expr).iter().filter(|name| *name == "doc").count()
    }

    fn parse(expr: &str) -> Expr {
        syn::parse_str(expr).unwrap_or_else(|e| panic!("{expr}: {e}"))
    }

    #[test]
    fn a_let_shadows_for_the_rest_of_its_block_only() {
        assert_eq!(doc_uses("{ let doc = 1; doc }"), 0);
        assert_eq!(doc_uses("{ doc; let doc = 1; doc }"), 1);
        assert_eq!(doc_uses("{ ({ let doc = 1; doc }) + doc }"), 1);
        assert_eq!(doc_uses("{ let (a, doc) = (1, 2); a + doc }"), 0);
    }

    #[test]
    fn a_let_initializer_and_else_see_the_outer_binding() {
        assert_eq!(doc_uses("{ let doc = doc + 1; doc }"), 1);
        assert_eq!(
            doc_uses("{ let Some(doc) = x else { return doc; }; doc }"),
            1
        );
    }

    #[test]
    fn a_closure_parameter_shadows_in_the_closure_body_only() {
        assert_eq!(doc_uses("x.map(|doc| doc + 1)"), 0);
        assert_eq!(doc_uses("(|doc: u64| doc)(doc)"), 1);
        assert_eq!(doc_uses("x.map(|n| n + doc)"), 1);
    }

    #[test]
    fn a_match_arm_pattern_shadows_in_its_guard_and_body() {
        assert_eq!(doc_uses("match x { Some(doc) => doc, None => 0 }"), 0);
        assert_eq!(doc_uses("match x { Some(doc) => doc, None => doc }"), 1);
        assert_eq!(
            doc_uses("match doc { Some(doc) if doc > 1 => doc, _ => 0 }"),
            1
        );
        assert_eq!(doc_uses("match x { Some(n) if n > doc => n, _ => 0 }"), 1);
    }

    #[test]
    fn an_if_let_pattern_shadows_in_its_chain_and_then_branch_only() {
        assert_eq!(doc_uses("if let Some(doc) = doc { doc } else { doc }"), 2);
        assert_eq!(
            doc_uses("if let Some(a) = x && let Some(doc) = a && doc > 1 { doc } else { 0 }"),
            0
        );
        assert_eq!(
            doc_uses("if doc > 1 && let Some(doc) = x { doc } else { 0 }"),
            1
        );
        assert_eq!(
            doc_uses("{ while let Some(doc) = it.next() { doc; } doc }"),
            1
        );
    }

    #[test]
    fn a_for_pattern_shadows_in_the_loop_body_only() {
        assert_eq!(doc_uses("for doc in doc { doc; }"), 1);
        assert_eq!(doc_uses("{ for doc in x { doc; } doc }"), 1);
    }

    #[test]
    fn fields_methods_and_longer_paths_are_not_uses() {
        assert_eq!(
            doc_uses("x.doc + x.doc() + doc::f() + <T>::doc + S { doc: 1 }.a"),
            0
        );
        assert_eq!(doc_uses("S { doc }"), 1, "a shorthand field is a use");
    }

    #[test]
    fn format_arguments_are_uses_unless_shadowed_or_named() {
        assert_eq!(doc_uses(r#"{ let doc = 1; format!("v{doc}") }"#), 0);
        assert_eq!(doc_uses(r#"x.map(|doc| format!("v{doc}"))"#), 0);
        assert_eq!(doc_uses(r#"format!("v{doc}", doc = 1)"#), 0);
        assert_eq!(doc_uses(r#"format!("v{doc}", doc = doc)"#), 1);
    }

    #[test]
    fn tokens_of_a_macro_that_are_not_expressions_count_except_fields_and_paths() {
        assert_eq!(doc_uses("m!(x.doc; doc::f; f::doc; doc!(); a)"), 0);
        assert_eq!(doc_uses("m!(x; doc)"), 1);
    }

    #[test]
    fn returns_count_outside_closures_async_blocks_and_items_only() {
        let expr = parse(
            "{ if a { return 1; } \
               x.map(|n| { return n; }); \
               async { return 2; }; \
               fn f() -> u8 { return 3; } \
               4 }",
        );
        assert_eq!(Uses::of(&expr).returns.len(), 1);
    }

    #[test]
    fn awaits_count_outside_closures_and_async_blocks_only() {
        assert!(Uses::of(&parse("f(load().await)")).awaits);
        assert!(Uses::of(&parse("format!(\"{}\", load().await)")).awaits);
        assert!(!Uses::of(&parse("async { load().await }")).awaits);
        assert!(!Uses::of(&parse("x.map(|f| async move { f.await })")).awaits);
    }

    #[test]
    fn questions_inside_closures_do_not_count() {
        let expr = parse("a.map(|x| x.parse().ok()?).await?");
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
