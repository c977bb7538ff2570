//! With the `utoipa` feature: the `#[utoipa::path(…)]` below `#[conditional]` extended with what
//! the rewritten handler does on the wire (the conditional request headers, the 304, 412 and
//! 428 responses, the validators on a read's 2xx), before utoipa reads it. The rules, and the
//! reasons for them, are documented for users in the runtime's `openapi` module.
//!
//! Nothing the user wrote is changed: parameters and responses are only appended, a header
//! parameter or a status already written is left as it is, and a 2xx response only gains the
//! response headers it does not list. The attribute's arguments are handled as tokens split at
//! top-level commas, so that every argument this module does not touch (`path`, `request_body`,
//! `security`, …) is passed on exactly as written and utoipa reports its own mistakes.

use proc_macro2::{Delimiter, Group, Ident, Punct, Spacing, Span, TokenStream, TokenTree};
use quote::{quote, quote_spanned};
use syn::Attribute;
use syn::ext::IdentExt;

use crate::args::{Args, ValidatorKind};
use crate::ctxt::Ctxt;

/// What the route's `#[conditional(…)]` says, as far as the document cares.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Route {
    pub(crate) etag: bool,
    pub(crate) last_modified: bool,
    pub(crate) require: bool,
    /// `creates = …` as written; `None` leaves each method its default.
    pub(crate) creates: Option<bool>,
    pub(crate) expose_validators: bool,
    pub(crate) cache_control: bool,
    pub(crate) vary: bool,
    /// `ranges = true`: `Range` and `If-Range` on reads, with 206 and 416.
    pub(crate) ranges: bool,
}

impl Route {
    pub(crate) fn of(args: &Args) -> Route {
        Route {
            etag: args.validator(ValidatorKind::ETag).is_some(),
            last_modified: args.validator(ValidatorKind::LastModified).is_some(),
            require: args.require.value,
            creates: args.creates.as_ref().map(syn::LitBool::value),
            expose_validators: args.expose_validators.value,
            cache_control: args.cache_control.is_some(),
            vary: args.vary.is_some(),
            ranges: args.ranges.value,
        }
    }
}

/// Extends the `#[utoipa::path]` among `attrs`, recording in `cx` a route it cannot document.
/// Without one, gives the items that make the other order (`#[utoipa::path]` above
/// `#[conditional]`) a compile error: see `__private::UtoipaPathBelow`.
pub(crate) fn document(
    cx: &Ctxt,
    route: Route,
    attrs: &mut [Attribute],
    function: &Ident,
) -> TokenStream {
    let Some(attr) = attrs.iter_mut().find(|attr| is_utoipa_path(attr)) else {
        return wrong_order_check(function);
    };
    let syn::Meta::List(list) = &mut attr.meta else {
        // `#[utoipa::path]` without arguments: utoipa says what is missing.
        return TokenStream::new();
    };
    match extend(route, list.tokens.clone()) {
        Ok(tokens) => list.tokens = tokens,
        Err(message) => cx.error_spanned_by(&list.path, message),
    }
    TokenStream::new()
}

fn is_utoipa_path(attr: &Attribute) -> bool {
    let segments: Vec<String> = attr
        .path()
        .segments
        .iter()
        .map(|segment| segment.ident.to_string())
        .collect();
    segments == ["utoipa", "path"]
}

/// A hidden `__path_<function>` placeholder, glob-imported, and the check that the name means
/// it: it does not when utoipa generated its own beside the function.
fn wrong_order_check(function: &Ident) -> TokenStream {
    let name = function.unraw().to_string();
    let span = function.span();
    let module = Ident::new(&format!("__axum_conditional_utoipa_{name}"), span);
    let placeholder = Ident::new(&format!("__path_{name}"), span);
    quote_spanned! {span=>
        #[doc(hidden)]
        #[allow(non_snake_case)]
        mod #module {
            #[allow(non_camel_case_types)]
            pub struct #placeholder;
            impl ::axum_conditional::__private::UtoipaPathBelow for #placeholder {}
        }
        #[allow(unused_imports)]
        use #module::*;
        const _: () = ::axum_conditional::__private::utoipa_path_below::<#placeholder>();
    }
}

/// An HTTP method utoipa documents.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Method {
    Get,
    Head,
    Post,
    Put,
    Patch,
    Delete,
    Options,
    Trace,
}

impl Method {
    const ALL: [Method; 8] = [
        Method::Get,
        Method::Head,
        Method::Post,
        Method::Put,
        Method::Patch,
        Method::Delete,
        Method::Options,
        Method::Trace,
    ];

    /// As utoipa spells it.
    fn name(self) -> &'static str {
        match self {
            Method::Get => "get",
            Method::Head => "head",
            Method::Post => "post",
            Method::Put => "put",
            Method::Patch => "patch",
            Method::Delete => "delete",
            Method::Options => "options",
            Method::Trace => "trace",
        }
    }

    fn of(ident: &Ident) -> Option<Method> {
        Method::ALL
            .into_iter()
            .find(|method| ident == method.name())
    }
}

/// A request header parameter to add.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Param {
    name: &'static str,
    required: bool,
    description: String,
}

/// A response header to add.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Header {
    name: &'static str,
    description: &'static str,
}

/// A response to add.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Response {
    status: u16,
    description: String,
    /// The `__private` schema of its `application/problem+json` body.
    problem: Option<&'static str>,
    headers: Vec<Header>,
}

/// Everything added to one operation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Additions {
    params: Vec<Param>,
    responses: Vec<Response>,
    /// Added to each 2xx response written as a tuple.
    success_headers: Vec<Header>,
}

const ETAG_NOW: Header = Header {
    name: "ETag",
    description: "The resource's current entity-tag.",
};
const LAST_MODIFIED_NOW: Header = Header {
    name: "Last-Modified",
    description: "The resource's current modification date.",
};

/// What `method` gets on `route` (the rules of the runtime's `openapi` module).
fn additions(method: Method, route: Route) -> Additions {
    match method {
        Method::Get | Method::Head => read(route),
        // Which methods can create, as the runtime's `Policy::can_create` decides: `PUT` unless
        // the route says `creates = false`, `PATCH` only when it says `creates = true`.
        Method::Put => write(route, route.creates.unwrap_or(true)),
        Method::Patch => write(route, route.creates.unwrap_or(false)),
        Method::Post | Method::Delete => write(route, false),
        // Safe methods other than GET and HEAD: nothing a client would send or expect.
        Method::Options | Method::Trace => Additions::default(),
    }
}

fn read(route: Route) -> Additions {
    let mut params = Vec::new();
    let mut not_modified = Vec::new();
    let mut success = Vec::new();
    if route.etag {
        params.push(Param {
            name: "If-None-Match",
            required: false,
            description: "The entity-tags of the copies the client holds, from their ETag. When \
                          one matches the current entity-tag, the answer is 304 Not Modified \
                          (RFC 9110 §13.1.2)."
                .to_owned(),
        });
        not_modified.push(ETAG_NOW);
        success.push(Header {
            name: "ETag",
            description: "The entity-tag of this representation: send it in If-None-Match to \
                          revalidate, in If-Match to change the resource.",
        });
    }
    if route.last_modified {
        params.push(Param {
            name: "If-Modified-Since",
            required: false,
            description: "The Last-Modified date of the client's copy. When the resource has not \
                          changed since, the answer is 304 Not Modified (RFC 9110 §13.1.3). \
                          Ignored when If-None-Match is sent."
                .to_owned(),
        });
        if !route.etag {
            // A 304 carries one validator, the tag when there is one (RFC 9110 §15.4.5).
            not_modified.push(LAST_MODIFIED_NOW);
        }
        success.push(Header {
            name: "Last-Modified",
            description: "When this representation last changed: send it in If-Modified-Since \
                          to revalidate.",
        });
    }
    if route.cache_control {
        not_modified.push(Header {
            name: "Cache-Control",
            description: "As on the route's 200 (RFC 9110 §15.4.5).",
        });
    }
    if route.vary {
        not_modified.push(Header {
            name: "Vary",
            description: "As on the route's 200 (RFC 9110 §15.4.5).",
        });
    }
    let mut responses = vec![Response {
        status: 304,
        description: "Not Modified: the client's copy is current. No body; the handler did not \
                      run."
            .to_owned(),
        problem: None,
        headers: not_modified,
    }];
    if route.ranges {
        ranges(&mut params, &mut responses, &success);
    }
    Additions {
        params,
        responses,
        success_headers: success,
    }
}

/// `Range` and `If-Range` (RFC 9110 §14.2, §13.1.5), 206 and 416.
fn ranges(params: &mut Vec<Param>, responses: &mut Vec<Response>, success: &[Header]) {
    params.push(Param {
        name: "Range",
        required: false,
        description: "Byte ranges of the representation (RFC 9110 §14.2): answered 206 Partial \
                      Content, or 416 Range Not Satisfiable."
            .to_owned(),
    });
    params.push(Param {
        name: "If-Range",
        required: false,
        description: "The ETag (or Last-Modified date) of the client's partial copy: the range \
                      is sent only if the copy is still current, otherwise the whole \
                      representation (RFC 9110 §13.1.5)."
            .to_owned(),
    });
    let mut partial = success.to_vec();
    partial.push(Header {
        name: "Content-Range",
        description: "The range sent and the representation's length, `bytes first-last/length` \
                      (RFC 9110 §14.4); several ranges are a `multipart/byteranges` body whose \
                      parts carry it instead.",
    });
    partial.push(Header {
        name: "Accept-Ranges",
        description: "`bytes`: this route serves byte ranges.",
    });
    responses.push(Response {
        status: 206,
        description: "Partial Content: the requested range.".to_owned(),
        problem: None,
        headers: partial,
    });
    responses.push(Response {
        status: 416,
        description: "Range Not Satisfiable: no requested range overlaps the representation."
            .to_owned(),
        problem: None,
        headers: vec![Header {
            name: "Content-Range",
            description: "`bytes */length`: the representation's length (RFC 9110 §15.5.17).",
        }],
    });
}

/// An unsafe method; `creates` for a `PUT` or `PATCH` that can create its target, where
/// `If-None-Match: *` makes a request create-only.
fn write(route: Route, creates: bool) -> Additions {
    let mut params = Vec::new();
    let mut accepted = Vec::new();
    if route.etag {
        accepted.push("If-Match");
    }
    if route.last_modified {
        accepted.push("If-Unmodified-Since");
    }
    if creates {
        accepted.push("If-None-Match: *");
    }
    let required_note = route.require.then(|| {
        format!(
            " This route requires a precondition: without {}, the answer is 428 Precondition \
             Required (RFC 6585 §3).",
            alternatives(&accepted)
        )
    });
    let note = required_note.as_deref().unwrap_or_default();
    if route.etag {
        params.push(Param {
            name: "If-Match",
            // Required only where nothing else gets past the 428 (`Requirement::accepts`).
            required: route.require && accepted.len() == 1,
            description: format!(
                "The entity-tag (from ETag) of the representation this change is based on. When \
                 it is not the current one, the request is refused with 412 Precondition Failed \
                 before its body is read (RFC 9110 §13.1.1).{note}"
            ),
        });
    }
    if route.last_modified {
        params.push(Param {
            name: "If-Unmodified-Since",
            required: false,
            description: format!(
                "The Last-Modified date this change is based on. When the resource changed \
                 after it, the request is refused with 412 Precondition Failed (RFC 9110 \
                 §13.1.4). Ignored when If-Match is sent.{note}"
            ),
        });
    }
    if creates {
        params.push(Param {
            name: "If-None-Match",
            required: false,
            description: format!(
                "`*` makes the request create-only: it is refused with 412 Precondition Failed \
                 when the resource already exists (RFC 9110 §13.1.2).{note}"
            ),
        });
    }
    let mut refused = Vec::new();
    if route.expose_validators && route.etag {
        refused.push(ETAG_NOW);
    }
    if route.expose_validators && route.last_modified {
        refused.push(LAST_MODIFIED_NOW);
    }
    let mut responses = vec![Response {
        status: 412,
        description: "Precondition Failed: a condition of the request was false, so nothing was \
                      changed and the request body was not read. The body names the condition \
                      and why it failed."
            .to_owned(),
        problem: Some("PreconditionFailedBody"),
        headers: refused,
    }];
    if route.require {
        responses.push(Response {
            status: 428,
            description: format!(
                "Precondition Required: send {} (RFC 6585 §3). The body lists what is accepted.",
                alternatives(&accepted)
            ),
            problem: Some("PreconditionRequiredBody"),
            headers: vec![Header {
                name: "Cache-Control",
                description: "no-store: a 428 is not to be stored.",
            }],
        });
    }
    Additions {
        params,
        responses,
        success_headers: Vec::new(),
    }
}

/// "A", "A or B", "A, B or C".
fn alternatives(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

/// The arguments of `#[utoipa::path(…)]`, extended for `route`; a message when the route's
/// methods would need different additions.
fn extend(route: Route, tokens: TokenStream) -> Result<TokenStream, String> {
    let mut items = split(tokens);
    let methods = methods(&items);
    let Some(first) = methods.first() else {
        // No method: utoipa reports it, and nothing can be added without one.
        return Ok(join(items));
    };
    let wanted = additions(*first, route);
    if let Some(other) = methods.iter().find(|m| additions(**m, route) != wanted) {
        return Err(format!(
            "`#[conditional]` cannot document `{}` and `{}` in one `#[utoipa::path]`: they \
             take different conditional headers and responses; document each in a function of \
             its own",
            first.name(),
            other.name()
        ));
    }
    add_params(&mut items, &wanted.params);
    add_responses(&mut items, &wanted);
    Ok(join(items))
}

/// The methods named: `get`, or `method(get, head)`.
fn methods(items: &[Vec<TokenTree>]) -> Vec<Method> {
    let mut found = Vec::new();
    for item in items {
        match &item[..] {
            [TokenTree::Ident(ident)] => found.extend(Method::of(ident)),
            [TokenTree::Ident(key), TokenTree::Group(group)] if key == "method" => {
                for inner in split(group.stream()) {
                    if let [TokenTree::Ident(ident)] = &inner[..] {
                        found.extend(Method::of(ident));
                    }
                }
            }
            _ => {}
        }
    }
    found
}

/// The content of the named group `key(…)` among `items`, created at the end when missing.
fn group_items<'a>(items: &'a mut Vec<Vec<TokenTree>>, key: &str) -> &'a mut Vec<TokenTree> {
    let position = items.iter().position(|item| {
        matches!(&item[..], [TokenTree::Ident(ident), TokenTree::Group(group)]
            if ident == key && group.delimiter() == Delimiter::Parenthesis)
    });
    let position = position.unwrap_or_else(|| {
        let key = Ident::new(key, Span::call_site());
        let group = Group::new(Delimiter::Parenthesis, TokenStream::new());
        items.push(vec![key.into(), group.into()]);
        items.len() - 1
    });
    &mut items[position]
}

/// Replaces the content of the group at the end of `item` with `content`, keeping its span.
fn set_group(item: &mut [TokenTree], content: Vec<Vec<TokenTree>>) {
    if let Some(TokenTree::Group(group)) = item.last_mut() {
        let mut replaced = Group::new(group.delimiter(), join(content));
        replaced.set_span(group.span());
        *group = replaced;
    }
}

fn group_content(item: &[TokenTree]) -> Vec<Vec<TokenTree>> {
    match item.last() {
        Some(TokenTree::Group(group)) => split(group.stream()),
        _ => Vec::new(),
    }
}

fn add_params(items: &mut Vec<Vec<TokenTree>>, params: &[Param]) {
    let written: Vec<Vec<TokenTree>> = items
        .iter()
        .find(|item| matches!(&item[..], [TokenTree::Ident(key), TokenTree::Group(_)] if key == "params"))
        .map(|item| group_content(item))
        .unwrap_or_default();
    let missing: Vec<&Param> = params
        .iter()
        .filter(|param| !written.iter().any(|p| is_header_param(p, param.name)))
        .collect();
    if missing.is_empty() {
        return;
    }
    let params_item = group_items(items, "params");
    let mut content = group_content(params_item);
    content.extend(missing.into_iter().map(param_tokens));
    set_group(params_item, content);
}

/// Whether `param` (a `("name" = Type, Header, …)` tuple) is the header `name`.
fn is_header_param(param: &[TokenTree], name: &str) -> bool {
    let [TokenTree::Group(tuple)] = param else {
        return false;
    };
    let parts = split(tuple.stream());
    let named = parts
        .first()
        .and_then(|first| literal_string(first.first()?))
        .is_some_and(|written| written.eq_ignore_ascii_case(name));
    let in_header =
        matches!(parts.get(1).map(|p| &p[..]), Some([TokenTree::Ident(i)]) if i == "Header");
    named && in_header
}

fn param_tokens(param: &Param) -> Vec<TokenTree> {
    let Param {
        name,
        required,
        description,
    } = param;
    // utoipa marks a parameter required unless its type is an `Option`, and makes an optional
    // header's schema nullable unless told not to: a header is absent, never null.
    let ty = if *required {
        quote!(String)
    } else {
        quote!(Option<String>)
    };
    let tuple = quote!((#name = #ty, Header, nullable = false, description = #description));
    tuple.into_iter().collect()
}

fn add_responses(items: &mut Vec<Vec<TokenTree>>, additions: &Additions) {
    if additions.responses.is_empty() && additions.success_headers.is_empty() {
        return;
    }
    let responses_item = group_items(items, "responses");
    let mut content = group_content(responses_item);
    let written: Vec<Status> = content.iter().filter_map(|r| response_status(r)).collect();
    if !additions.success_headers.is_empty() {
        for response in &mut content {
            if response_status(response).is_some_and(|status| status.is_success()) {
                add_success_headers(response, &additions.success_headers);
            }
        }
    }
    for response in &additions.responses {
        if !written.contains(&Status::Code(response.status)) {
            content.push(response_tokens(response).into_iter().collect());
        }
    }
    set_group(responses_item, content);
}

/// A status as written in a response tuple.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Status {
    Code(u16),
    /// `"2XX"`, `"default"`…
    Range(String),
}

impl Status {
    fn is_success(&self) -> bool {
        match self {
            Status::Code(code) => (200..300).contains(code),
            Status::Range(range) => range == "2XX",
        }
    }
}

/// The status of a `(status = …, …)` response tuple.
fn response_status(response: &[TokenTree]) -> Option<Status> {
    let [TokenTree::Group(tuple)] = response else {
        return None;
    };
    split(tuple.stream()).into_iter().find_map(|part| {
        let [TokenTree::Ident(key), TokenTree::Punct(eq), value @ ..] = &part[..] else {
            return None;
        };
        if key != "status" || eq.as_char() != '=' {
            return None;
        }
        match value {
            [TokenTree::Literal(literal)] => {
                let text = literal.to_string();
                match text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
                    Some(range) => Some(Status::Range(range.to_owned())),
                    None => text.parse().ok().map(Status::Code),
                }
            }
            // `NOT_MODIFIED`, `StatusCode::NOT_MODIFIED`: utoipa reads the last segment.
            path => path.iter().rev().find_map(|token| match token {
                TokenTree::Ident(name) => status_named(&name.to_string()).map(Status::Code),
                _ => None,
            }),
        }
    })
}

/// The code of an `http::StatusCode` constant this module can meet: the 2xx, and the ones it
/// adds.
fn status_named(name: &str) -> Option<u16> {
    Some(match name {
        "OK" => 200,
        "CREATED" => 201,
        "ACCEPTED" => 202,
        "NON_AUTHORITATIVE_INFORMATION" => 203,
        "NO_CONTENT" => 204,
        "RESET_CONTENT" => 205,
        "PARTIAL_CONTENT" => 206,
        "MULTI_STATUS" => 207,
        "ALREADY_REPORTED" => 208,
        "IM_USED" => 226,
        "NOT_MODIFIED" => 304,
        "PRECONDITION_FAILED" => 412,
        "RANGE_NOT_SATISFIABLE" => 416,
        "PRECONDITION_REQUIRED" => 428,
        _ => return None,
    })
}

/// Adds to a 2xx response tuple the headers of `headers` it does not list. A tuple that
/// refers to a `ToResponse` (`response = …`) cannot take headers, and is left as it is.
fn add_success_headers(response: &mut [TokenTree], headers: &[Header]) {
    let [TokenTree::Group(tuple)] = response else {
        return;
    };
    let mut parts = split(tuple.stream());
    let refers = parts
        .iter()
        .any(|part| matches!(part.first(), Some(TokenTree::Ident(key)) if key == "response"));
    if refers {
        return;
    }
    let headers_item = group_items(&mut parts, "headers");
    let mut listed = group_content(headers_item);
    for header in headers {
        let written = listed.iter().any(|h| {
            matches!(&h[..], [TokenTree::Group(g)] if g.stream().into_iter().next()
                .and_then(|t| literal_string(&t))
                .is_some_and(|name| name.eq_ignore_ascii_case(header.name)))
        });
        if !written {
            listed.push(header_tokens(header).into_iter().collect());
        }
    }
    set_group(headers_item, listed);
    let mut replaced = Group::new(tuple.delimiter(), join(parts));
    replaced.set_span(tuple.span());
    *tuple = replaced;
}

fn header_tokens(header: &Header) -> TokenStream {
    let Header { name, description } = header;
    quote!((#name = String, description = #description))
}

fn response_tokens(response: &Response) -> TokenStream {
    let Response {
        status,
        description,
        problem,
        headers,
    } = response;
    let status = proc_macro2::Literal::u16_unsuffixed(*status);
    let body = problem.map(|schema| {
        let schema = Ident::new(schema, Span::call_site());
        quote! {
            , content_type = "application/problem+json",
            body = ::axum_conditional::__private::#schema
        }
    });
    let headers = (!headers.is_empty()).then(|| {
        let headers = headers.iter().map(header_tokens);
        quote!(, headers(#(#headers),*))
    });
    quote!((status = #status, description = #description #body #headers))
}

/// The value of a string literal token, if it is one (plain, not raw).
fn literal_string(token: &TokenTree) -> Option<String> {
    let TokenTree::Literal(literal) = token else {
        return None;
    };
    let text = literal.to_string();
    let inner = text.strip_prefix('"')?.strip_suffix('"')?;
    Some(inner.to_owned())
}

/// `tokens` split at its commas outside `<…>` (groups are single tokens already), without
/// the commas; a trailing comma gives no empty item.
fn split(tokens: TokenStream) -> Vec<Vec<TokenTree>> {
    let mut items = vec![Vec::new()];
    let mut depth = 0usize;
    let mut previous_joint_minus = false;
    for token in tokens {
        if let TokenTree::Punct(punct) = &token {
            match punct.as_char() {
                ',' if depth == 0 => {
                    items.push(Vec::new());
                    previous_joint_minus = false;
                    continue;
                }
                '<' => depth += 1,
                // `->` and `=>` are not the end of a generic argument list.
                '>' if !previous_joint_minus => depth = depth.saturating_sub(1),
                _ => {}
            }
            previous_joint_minus =
                matches!(punct.as_char(), '-' | '=') && punct.spacing() == Spacing::Joint;
        } else {
            previous_joint_minus = false;
        }
        if let Some(item) = items.last_mut() {
            item.push(token);
        }
    }
    items.retain(|item| !item.is_empty());
    items
}

/// The items joined with commas.
fn join(items: Vec<Vec<TokenTree>>) -> TokenStream {
    let mut tokens = TokenStream::new();
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            tokens.extend([TokenTree::Punct(Punct::new(',', Spacing::Alone))]);
        }
        tokens.extend(item);
    }
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    const READ: Route = Route {
        etag: true,
        last_modified: true,
        require: false,
        creates: None,
        expose_validators: true,
        cache_control: false,
        vary: false,
        ranges: false,
    };
    const WRITE: Route = Route {
        require: true,
        ..READ
    };

    /// The route as `Route::of` reads it from the attribute's arguments.
    fn route_of(args: &str) -> Route {
        let cx = Ctxt::new();
        let tokens: TokenStream = args.parse().expect("test input is valid tokens");
        let args = crate::args::parse(&cx, tokens);
        cx.check().expect("the test's arguments are valid");
        Route::of(&args.expect("no mistake was recorded"))
    }

    #[test]
    fn the_ranges_key_documents_the_ranges() {
        assert!(route_of("etag = tag, ranges = true").ranges);
        assert!(!route_of("etag = tag, ranges = false").ranges);
        assert!(!route_of("etag = tag").ranges);
    }

    fn extended(route: Route, args: &str) -> String {
        let tokens: TokenStream = args.parse().expect("test input is valid tokens");
        extend(route, tokens)
            .expect("the route can be documented")
            .to_string()
    }

    /// The header parameters of the extended arguments: (name, required).
    fn header_params(output: &str) -> Vec<(String, bool)> {
        let items = split(output.parse().expect("output is valid tokens"));
        let params = items
            .iter()
            .find(|item| matches!(&item[..], [TokenTree::Ident(key), _] if key == "params"));
        params
            .map(|item| group_content(item))
            .unwrap_or_default()
            .iter()
            .filter_map(|param| {
                let [TokenTree::Group(tuple)] = &param[..] else {
                    return None;
                };
                let parts = split(tuple.stream());
                let name = literal_string(parts.first()?.first()?)?;
                let in_header = parts.get(1)?.first()?.to_string() == "Header";
                let required = !parts.first()?.iter().any(|t| t.to_string() == "Option");
                in_header.then_some((name, required))
            })
            .collect()
    }

    /// The statuses of the response tuples, in order.
    fn statuses(output: &str) -> Vec<Status> {
        let items = split(output.parse().expect("output is valid tokens"));
        let responses = items
            .iter()
            .find(|item| matches!(&item[..], [TokenTree::Ident(key), _] if key == "responses"))
            .expect("a responses group");
        group_content(responses)
            .iter()
            .filter_map(|r| response_status(r))
            .collect()
    }

    fn names(params: &[(String, bool)]) -> Vec<&str> {
        params.iter().map(|(name, _)| name.as_str()).collect()
    }

    #[test]
    fn a_read_gets_the_revalidation_headers_and_the_304() {
        let output = extended(
            READ,
            r#"get, path = "/d/{id}", responses((status = 200, description = "ok"))"#,
        );
        assert_eq!(
            names(&header_params(&output)),
            ["If-None-Match", "If-Modified-Since"]
        );
        assert_eq!(statuses(&output), [Status::Code(200), Status::Code(304)]);
        // The 200 gains the validators it is sent with.
        assert!(output.contains(r#"headers (("ETag" = String"#), "{output}");
        assert!(output.contains(r#"("Last-Modified" = String"#), "{output}");
        assert!(!output.contains("412"), "no 412 on a read: {output}");
    }

    #[test]
    fn a_put_with_require_gets_the_write_headers_412_and_428() {
        let output = extended(
            WRITE,
            r#"put, path = "/d/{id}", responses((status = 200, description = "ok"))"#,
        );
        let params = header_params(&output);
        assert_eq!(
            names(&params),
            ["If-Match", "If-Unmodified-Since", "If-None-Match"]
        );
        assert!(
            params.iter().all(|(_, required)| !required),
            "a create-only PUT sends no If-Match: {params:?}"
        );
        assert_eq!(
            statuses(&output),
            [Status::Code(200), Status::Code(412), Status::Code(428)]
        );
        assert!(output.contains("__private :: PreconditionFailedBody"));
        assert!(output.contains("__private :: PreconditionRequiredBody"));
        let ok = output.split("(status = 412").next().unwrap_or_default();
        assert!(
            !ok.contains("headers"),
            "a write's 2xx gets no validators: {output}"
        );
    }

    #[test]
    fn if_none_match_star_is_offered_where_the_route_creates() {
        let offered = |route: Route, method: &str| {
            let output = extended(route, &format!("{method}, path = \"/d\""));
            let offers = names(&header_params(&output)).contains(&"If-None-Match");
            // The 428's description lists the same alternatives as the parameters.
            assert_eq!(output.contains("If-None-Match: *"), offers, "{output}");
            offers
        };
        // Unwritten: `PUT` creates, `PATCH` does not (`Policy::creates`).
        assert!(offered(WRITE, "put"));
        assert!(!offered(WRITE, "patch"));
        let creates = |yes| Route {
            creates: Some(yes),
            ..WRITE
        };
        assert!(offered(creates(true), "put"));
        assert!(offered(creates(true), "patch"));
        assert!(!offered(creates(false), "put"));
        assert!(!offered(creates(false), "patch"));
        for method in ["post", "delete"] {
            assert!(!offered(creates(true), method), "{method}");
        }
        assert_eq!(route_of("etag = tag, creates = true").creates, Some(true));
        assert_eq!(route_of("etag = tag, creates = false").creates, Some(false));
        assert_eq!(route_of("etag = tag").creates, None);
    }

    #[test]
    fn if_match_is_required_only_where_nothing_else_passes_the_428() {
        let tag_only = Route {
            last_modified: false,
            ..WRITE
        };
        let delete = header_params(&extended(tag_only, "delete, path = \"/d\""));
        assert_eq!(delete, [("If-Match".to_owned(), true)]);
        let with_date = header_params(&extended(WRITE, "delete, path = \"/d\""));
        assert_eq!(with_date[0], ("If-Match".to_owned(), false));
        let put = header_params(&extended(tag_only, "put, path = \"/d\""));
        assert_eq!(put[0], ("If-Match".to_owned(), false));
        let optional = Route {
            require: false,
            ..tag_only
        };
        let post = header_params(&extended(optional, "post, path = \"/d\""));
        assert_eq!(post, [("If-Match".to_owned(), false)]);
        assert_eq!(
            statuses(&extended(optional, "post, path = \"/d\"")),
            [Status::Code(412)],
            "no 428 without require"
        );
    }

    #[test]
    fn what_the_user_wrote_is_kept() {
        let output = extended(
            WRITE,
            r#"put, path = "/d", params(("if-match" = String, Header, description = "mine")),
               responses((status = PRECONDITION_FAILED, description = "my 412"),
                         (status = 428, description = "my 428"))"#,
        );
        let params = header_params(&output);
        assert_eq!(
            params,
            [
                ("if-match".to_owned(), true),
                ("If-Unmodified-Since".to_owned(), false),
                ("If-None-Match".to_owned(), false),
            ]
        );
        assert_eq!(statuses(&output), [Status::Code(412), Status::Code(428)]);
        assert!(output.contains(r#""my 412""#) && output.contains(r#""my 428""#));
        assert!(!output.contains("PreconditionFailedBody"), "{output}");
    }

    #[test]
    fn a_status_named_by_its_path_is_kept() {
        let output = extended(
            READ,
            r#"get, path = "/d", responses((status = StatusCode::NOT_MODIFIED, description = "mine"))"#,
        );
        assert_eq!(statuses(&output), [Status::Code(304)]);
        assert!(!output.contains("Not Modified:"), "{output}");
    }

    #[test]
    fn a_header_param_in_another_place_is_not_the_header() {
        let output = extended(
            READ,
            r#"get, path = "/d", params(("If-None-Match" = String, Query))"#,
        );
        assert_eq!(
            names(&header_params(&output)),
            ["If-None-Match", "If-Modified-Since"]
        );
    }

    #[test]
    fn response_headers_join_the_ones_written() {
        let output = extended(
            READ,
            r#"get, path = "/d", responses((status = 200, description = "ok",
               headers(("etag" = String, description = "mine"), ("X-Total" = u64))))"#,
        );
        assert_eq!(output.matches(r#""etag""#).count(), 1, "{output}");
        assert!(!output.contains(r#""ETag" = String , description = "The entity-tag of this"#));
        assert!(output.contains(r#"("X-Total" = u64)"#));
        assert!(output.contains(r#"("Last-Modified" = String"#));
        // One `headers(…)`: utoipa keeps only the last one it reads.
        let ok = output.split("(status = 304").next().unwrap_or_default();
        assert_eq!(ok.matches("headers").count(), 1, "{output}");
    }

    #[test]
    fn a_response_that_refers_to_a_to_response_is_left_alone() {
        let output = extended(
            READ,
            r#"get, path = "/d", responses((status = 200, response = Doc))"#,
        );
        assert!(
            output.contains("(status = 200 , response = Doc)"),
            "{output}"
        );
    }

    #[test]
    fn every_other_argument_is_passed_on_as_written() {
        let args = r#"post, path = "/d", request_body = HashMap<String, Vec<u8>>, tag = "t",
                      security(("key" = [])), operation_id = "make""#;
        let output = extended(WRITE, args);
        let written: TokenStream = args.parse().expect("valid tokens");
        assert!(
            output.starts_with(&written.to_string()),
            "{output}\n does not start with\n{written}"
        );
    }

    #[test]
    fn methods_that_need_different_additions_are_refused() {
        let tokens: TokenStream = "method(get, put), path = \"/d\"".parse().expect("tokens");
        let message = extend(WRITE, tokens).expect_err("get and put differ");
        assert_eq!(
            message,
            "`#[conditional]` cannot document `get` and `put` in one `#[utoipa::path]`: they take \
             different conditional headers and responses; document each in a function of its own"
        );
        let both_reads = extended(READ, "method(get, head), path = \"/d\"");
        assert_eq!(statuses(&both_reads), [Status::Code(304)]);
    }

    #[test]
    fn without_a_method_nothing_is_added() {
        let args = "path = \"/d\", responses((status = 200, description = \"ok\"))";
        let written: TokenStream = args.parse().expect("valid tokens");
        assert_eq!(extended(WRITE, args), written.to_string());
    }

    #[test]
    fn options_and_trace_get_nothing() {
        for method in ["options", "trace"] {
            let args = format!("{method}, path = \"/d\"");
            let written: TokenStream = args.parse().expect("valid tokens");
            assert_eq!(extended(WRITE, &args), written.to_string());
        }
    }

    #[test]
    fn ranges_add_range_if_range_206_and_416() {
        let output = extended(
            Route {
                ranges: true,
                ..READ
            },
            r#"get, path = "/d""#,
        );
        assert_eq!(
            names(&header_params(&output)),
            ["If-None-Match", "If-Modified-Since", "Range", "If-Range"]
        );
        assert_eq!(
            statuses(&output),
            [Status::Code(304), Status::Code(206), Status::Code(416)]
        );
        let partial = output.split("(status = 206").nth(1).unwrap_or_default();
        let partial = partial.split("(status = 416").next().unwrap_or_default();
        for header in ["Content-Range", "Accept-Ranges"] {
            assert!(partial.contains(&format!("\"{header}\"")), "{output}");
        }
        let unsatisfiable = output.split("(status = 416").nth(1).unwrap_or_default();
        assert!(unsatisfiable.contains("\"Content-Range\""), "{output}");
    }

    #[test]
    fn a_304_carries_the_declared_cache_headers_and_one_validator() {
        let date_only = Route {
            etag: false,
            cache_control: true,
            vary: true,
            ..READ
        };
        let output = extended(date_only, r#"get, path = "/d""#);
        let not_modified = output.split("(status = 304").nth(1).unwrap_or_default();
        for header in ["Last-Modified", "Cache-Control", "Vary"] {
            assert!(not_modified.contains(&format!("\"{header}\"")), "{output}");
        }
        assert!(!not_modified.contains("\"ETag\""), "{output}");
        assert_eq!(names(&header_params(&output)), ["If-Modified-Since"]);
    }

    #[test]
    fn split_keeps_generic_arguments_and_arrows_whole() {
        let tokens: TokenStream = "a = Map<K, V>, b = fn(u8, u8) -> Vec<u8>, c"
            .parse()
            .unwrap();
        let items = split(tokens);
        assert_eq!(items.len(), 3, "{items:?}");
    }
}
