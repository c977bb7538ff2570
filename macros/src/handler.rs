//! The model of the annotated function: its parts as written, its typed arguments with the
//! names they bind, its return type, and whether a `#[tracing::instrument(err)]` asks for that
//! type to be split.

use syn::visit_mut::{self, VisitMut};
use syn::{
    AttrStyle, Attribute, FnArg, GenericArgument, Ident, ItemFn, PatType, PathArguments, Receiver,
    ReturnType, Signature, Stmt, Type, Visibility, parse_quote,
};

use crate::{instrument, scan};

/// An `fn` item taken apart.
pub(crate) struct Handler {
    /// `#[…]` before the function, re-emitted as written (`#[axum::debug_handler]` among them).
    pub(crate) outer_attrs: Vec<Attribute>,
    /// `#![…]` at the top of the body, re-emitted at the top of the new body.
    pub(crate) inner_attrs: Vec<Attribute>,
    pub(crate) vis: Visibility,
    pub(crate) sig: Signature,
    pub(crate) stmts: Vec<Stmt>,
    /// A `self` argument: not allowed, reported by `check`.
    pub(crate) receiver: Option<Receiver>,
    /// The typed arguments, in order.
    pub(crate) params: Vec<Param>,
    /// Whether a `#[tracing::instrument(err)]` among `outer_attrs` records errors: the rewritten
    /// handler then returns the output split into a `Result` (see `result_parts`).
    pub(crate) records_errors: bool,
}

/// One typed argument, `pattern: Type`.
pub(crate) struct Param {
    pub(crate) arg: PatType,
    /// The names the pattern binds.
    pub(crate) bindings: Vec<Ident>,
}

/// The last path segments of axum's, axum-extra's and common crates' body extractors (the
/// list `#[axum::debug_handler]` uses, plus a few). It only shapes error messages: which
/// argument reads the body is decided by the type system (`__private::LastArgument`).
const BODY: &[&str] = &[
    "Json",
    "Form",
    "Bytes",
    "String",
    "Request",
    "Multipart",
    "RawForm",
    "RawBody",
    "Body",
    "Protobuf",
    "JsonLines",
    "Cbor",
    "MsgPack",
    "Xml",
];

impl Handler {
    pub(crate) fn new(item: ItemFn) -> Self {
        let ItemFn {
            attrs,
            vis,
            sig,
            block,
            ..
        } = item;
        let (inner_attrs, outer_attrs): (Vec<_>, Vec<_>) = attrs
            .into_iter()
            .partition(|attr| matches!(attr.style, AttrStyle::Inner(_)));
        let mut receiver = None;
        let mut params = Vec::new();
        for input in &sig.inputs {
            match input {
                FnArg::Receiver(r) => receiver = Some(r.clone()),
                FnArg::Typed(arg) => params.push(Param {
                    bindings: scan::bindings(&arg.pat),
                    arg: arg.clone(),
                }),
            }
        }
        Handler {
            records_errors: instrument::records_errors(&outer_attrs),
            outer_attrs,
            inner_attrs,
            vis,
            sig,
            stmts: block.stmts,
            receiver,
            params,
        }
    }

    /// The return type as written; `()` when there is none.
    pub(crate) fn output(&self) -> Type {
        match &self.sig.output {
            ReturnType::Default => parse_quote!(()),
            ReturnType::Type(_, ty) => (**ty).clone(),
        }
    }

    /// Whether the return type is `impl Trait` at its top, so that no error type can be read
    /// from it.
    pub(crate) fn returns_opaque(&self) -> bool {
        let mut ty = match &self.sig.output {
            ReturnType::Default => return false,
            ReturnType::Type(_, ty) => &**ty,
        };
        while let Type::Paren(inner) = ty {
            ty = &inner.elem;
        }
        matches!(ty, Type::ImplTrait(_))
    }

    /// The return type with every `impl Trait` replaced by `_`, for a `let` in the body
    /// (where `impl Trait` is not allowed), as `tracing-attributes` does.
    pub(crate) fn erased_output(&self) -> Type {
        self.output_with_opaque_as(parse_quote!(_))
    }

    /// The return type with every `impl Trait` replaced by `()`: enough to read the error type
    /// of a `Result` off it, in dead code that nothing else constrains.
    pub(crate) fn error_carrier(&self) -> Type {
        self.output_with_opaque_as(parse_quote!(()))
    }

    fn output_with_opaque_as(&self, replacement: Type) -> Type {
        struct Eraser(Type);
        impl VisitMut for Eraser {
            fn visit_type_mut(&mut self, ty: &mut Type) {
                if let Type::ImplTrait(_) = ty {
                    *ty = self.0.clone();
                } else {
                    visit_mut::visit_type_mut(self, ty);
                }
            }
        }
        let mut ty = self.output();
        Eraser(replacement).visit_type_mut(&mut ty);
        ty
    }
}

/// `T` and `E` of a type written `Result<T, E>`.
pub(crate) fn result_parts(output: &Type) -> Option<(&Type, &Type)> {
    if let Type::Path(path) = output
        && path.qself.is_none()
        && let Some(segment) = path.path.segments.last()
        && segment.ident == "Result"
        && let PathArguments::AngleBracketed(args) = &segment.arguments
        && let [GenericArgument::Type(ok), GenericArgument::Type(err)] =
            args.args.iter().collect::<Vec<_>>()[..]
    {
        return Some((ok, err));
    }
    None
}

/// Whether `ty` has an `impl Trait` anywhere inside.
pub(crate) fn contains_impl_trait(ty: &Type) -> bool {
    struct Finder(bool);
    impl<'ast> syn::visit::Visit<'ast> for Finder {
        fn visit_type_impl_trait(&mut self, _: &'ast syn::TypeImplTrait) {
            self.0 = true;
        }
    }
    let mut finder = Finder(false);
    syn::visit::Visit::visit_type(&mut finder, ty);
    finder.0
}

impl Param {
    /// The name of the body extractor this argument is known to be (`Json` for
    /// `axum::Json<T>`), for error messages only.
    pub(crate) fn body_extractor(&self) -> Option<String> {
        last_segment(&self.arg.ty).filter(|name| BODY.contains(&name.as_str()))
    }

    /// `T` when the argument's type is written `State<T>` (axum's state extractor, by name):
    /// the state the last argument is extracted with when the attribute names none.
    pub(crate) fn state_type(&self) -> Option<&Type> {
        let Type::Path(path) = &*self.arg.ty else {
            return None;
        };
        let segment = path.path.segments.last()?;
        if path.qself.is_some() || segment.ident != "State" {
            return None;
        }
        match &segment.arguments {
            PathArguments::AngleBracketed(args) if args.args.len() == 1 => {
                match args.args.first() {
                    Some(GenericArgument::Type(ty)) => Some(ty),
                    _ => None,
                }
            }
            _ => None,
        }
    }
}

/// The name of an extractor type: `Json` for `axum::Json<T>`, looking through `Option<…>` and
/// `Result<…>` (which wrap an extractor without changing what it reads).
fn last_segment(ty: &Type) -> Option<String> {
    let mut ty = ty;
    loop {
        match ty {
            Type::Paren(inner) => ty = &inner.elem,
            Type::Path(path) if path.qself.is_none() => {
                let segment = path.path.segments.last()?;
                let name = segment.ident.to_string();
                if name == "Option" || name == "Result" {
                    if let PathArguments::AngleBracketed(args) = &segment.arguments
                        && let Some(GenericArgument::Type(inner)) = args.args.first()
                    {
                        ty = inner;
                        continue;
                    }
                    return None;
                }
                return Some(name);
            }
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn param(ty: &str) -> Param {
        let ty: Type = syn::parse_str(ty).unwrap_or_else(|e| panic!("{e}"));
        let arg: PatType = parse_quote!(x: #ty);
        Param {
            bindings: Vec::new(),
            arg,
        }
    }

    #[test]
    fn body_extractors_by_name_for_messages() {
        assert_eq!(
            param("axum::Json<Doc>").body_extractor().as_deref(),
            Some("Json")
        );
        assert_eq!(
            param("Option<Json<Doc>>").body_extractor().as_deref(),
            Some("Json")
        );
        assert_eq!(param("Path<u64>").body_extractor(), None);
        assert_eq!(param("MyExtractor").body_extractor(), None);
    }

    #[test]
    fn state_types_by_name() {
        let store: Type = parse_quote!(Store);
        assert_eq!(param("State<Store>").state_type(), Some(&store));
        assert_eq!(
            param("axum::extract::State<Store>").state_type(),
            Some(&store)
        );
        assert_eq!(param("Path<Store>").state_type(), None);
        assert_eq!(param("State").state_type(), None);
    }
}
