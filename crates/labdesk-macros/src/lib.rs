//! `#[labdesk_macros::command]` marks a function of the desktop shell as a window command. It
//! expands to `#[tauri::command]` on the function unchanged, plus a hidden type of the same name
//! (types and functions live in separate namespaces) that implements
//! `crate::ipc_schema::Described`: the command's name, its documentation, the arguments the page
//! sends (name and Rust type) and the type it resolves to. `src-tauri`'s bindings test turns those
//! into the page's typed IPC functions (ui/src/ipc/commands.ts) through ts-rs.
//!
//! Which arguments the page sends: all but those Tauri injects. An injected argument is one whose
//! type borrows (`State<'_, T>` and its aliases), or is `AppHandle`, `Window`, `WebviewWindow` or
//! `Webview`; a page-sent argument is deserialized into an owned value, so it never borrows.
//! A `Channel<T>` argument is a stream to the page: described as such, with `T`.
//! The result: `Result<T, E>` / `AppResult<T>` resolve to `T` (an `Err` rejects the promise);
//! no return type resolves to `()`.

use proc_macro::TokenStream;
use proc_macro2::TokenStream as Tokens;
use quote::{format_ident, quote};
use syn::{
    Expr, FnArg, GenericArgument, ItemFn, Lit, Meta, Pat, PathArguments, ReturnType, Type,
    parse_macro_input,
};

const INJECTED: &[&str] = &["AppHandle", "Window", "WebviewWindow", "Webview"];

#[proc_macro_attribute]
pub fn command(attr: TokenStream, item: TokenStream) -> TokenStream {
    let attr = Tokens::from(attr);
    let func = parse_macro_input!(item as ItemFn);
    let tauri_attr = if attr.is_empty() {
        quote! { #[::tauri::command] }
    } else {
        quote! { #[::tauri::command(#attr)] }
    };
    match describe(&func) {
        Ok(described) => quote! {
            #tauri_attr
            #func
            #described
        }
        .into(),
        Err(e) => e.to_compile_error().into(),
    }
}

fn describe(func: &ItemFn) -> syn::Result<Tokens> {
    let name = &func.sig.ident;
    let vis = &func.vis;
    let docs = doc_text(&func.attrs);
    let mut args = Vec::new();
    for input in &func.sig.inputs {
        let FnArg::Typed(arg) = input else {
            return Err(syn::Error::new_spanned(input, "a command cannot take self"));
        };
        if injected(&arg.ty) {
            continue;
        }
        let Pat::Ident(ident) = &*arg.pat else {
            return Err(syn::Error::new_spanned(
                &arg.pat,
                "name this argument: the page sends it by name",
            ));
        };
        let arg_name = ident.ident.to_string();
        let arg_name = arg_name.trim_start_matches("r#");
        args.push(match channel_of(&arg.ty) {
            Some(item) => quote! { crate::ipc_schema::Arg::channel::<#item>(#arg_name, cfg) },
            None => {
                let ty = &arg.ty;
                quote! { crate::ipc_schema::Arg::value::<#ty>(#arg_name, cfg) }
            }
        });
    }
    let output = match &func.sig.output {
        ReturnType::Default => quote! { () },
        ReturnType::Type(_, ty) => {
            let ok = result_ok(ty).unwrap_or(ty);
            quote! { #ok }
        }
    };
    let marker = format_ident!("{}", name);
    let command = name.to_string();
    Ok(quote! {
        #[doc(hidden)]
        #[allow(non_camel_case_types, dead_code)]
        #vis struct #marker {}
        #[cfg(test)]
        impl crate::ipc_schema::Described for #marker {
            fn describe(cfg: &::ts_rs::Config) -> crate::ipc_schema::CommandDoc {
                crate::ipc_schema::CommandDoc {
                    name: #command,
                    docs: #docs,
                    args: vec![#(#args),*],
                    output: crate::ipc_schema::Arg::value::<#output>("", cfg),
                }
            }
        }
    })
}

/// The `///` lines of the function, joined (the page's JSDoc).
fn doc_text(attrs: &[syn::Attribute]) -> String {
    let mut lines = Vec::new();
    for a in attrs {
        if let Meta::NameValue(nv) = &a.meta
            && nv.path.is_ident("doc")
            && let Expr::Lit(lit) = &nv.value
            && let Lit::Str(s) = &lit.lit
        {
            lines.push(s.value().trim().to_owned());
        }
    }
    lines.join("\n")
}

fn last_segment(ty: &Type) -> Option<&syn::PathSegment> {
    match ty {
        Type::Path(p) if p.qself.is_none() => p.path.segments.last(),
        _ => None,
    }
}

fn injected(ty: &Type) -> bool {
    match ty {
        Type::Reference(_) => true,
        Type::Path(_) => {
            let Some(seg) = last_segment(ty) else {
                return false;
            };
            let borrows = match &seg.arguments {
                PathArguments::AngleBracketed(a) => a
                    .args
                    .iter()
                    .any(|g| matches!(g, GenericArgument::Lifetime(_))),
                _ => false,
            };
            borrows || INJECTED.iter().any(|n| seg.ident == n)
        }
        _ => false,
    }
}

fn first_type_arg(seg: &syn::PathSegment) -> Option<&Type> {
    match &seg.arguments {
        PathArguments::AngleBracketed(a) => a.args.iter().find_map(|g| match g {
            GenericArgument::Type(t) => Some(t),
            _ => None,
        }),
        _ => None,
    }
}

fn channel_of(ty: &Type) -> Option<&Type> {
    let seg = last_segment(ty)?;
    (seg.ident == "Channel").then(|| first_type_arg(seg))?
}

fn result_ok(ty: &Type) -> Option<&Type> {
    let seg = last_segment(ty)?;
    (seg.ident == "Result" || seg.ident == "AppResult").then(|| first_type_arg(seg))?
}
