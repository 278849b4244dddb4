//! The validate phase: turns the arguments as written ([`RawArgs`]) into checked
//! [`Args`], against the vocabulary and the annotated function.
//!
//! Every rule lives here, and every mistake is collected, so one build reports them all:
//! unknown or misspelled words, values that do not fit, repeated arguments, conflicting
//! arguments, `capture(...)` names that are not parameters, and functions that cannot be
//! instrumented.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::ToTokens;
use syn::ext::IdentExt as _;
use syn::visit::Visit;
use syn::{Expr, ExprLit, FnArg, Ident, Lit};

use crate::args::{
    Args, CaptureArg, CaptureSource, FieldArg, KeyArg, RawArg, RawArgs, RawCapture, RawCaptureValue,
};
use crate::errors::Errors;
use crate::item::{Body, MaybeItemFn};
use crate::vocabulary::{
    CAPTURE_NAMES, CONTENT_POLICIES, KEYS, KINDS, KeySpec, Operation, Slot, ValueType, argument,
    did_you_mean, list,
};

/// Checks the arguments and the function together; `function` is the item, or why it is
/// not a function that can be instrumented.
pub(crate) fn validate(
    raw: RawArgs,
    function: Result<&MaybeItemFn, &syn::Error>,
) -> syn::Result<Args> {
    let mut validator = Validator::default();
    for entry in raw.entries {
        validator.entry(entry);
    }
    if let Some(error) = raw.syntax_error {
        validator.errors.push(error);
    }
    validator.captures();
    validator.name_and_operation();
    match function {
        Ok(function) => {
            validator.item(function);
            validator.parameters(function);
        }
        Err(error) => validator.errors.push(error.clone()),
    }
    let Validator { args, errors, .. } = validator;
    errors.finish().map(|()| args)
}

#[derive(Default)]
struct Validator {
    args: Args,
    errors: Errors,
    /// The arguments seen, to report repeated ones.
    seen: Vec<&'static str>,
}

impl Validator {
    /// Whether `name` is given for the first time; a second time is reported at `token`.
    fn first(&mut self, name: &'static str, token: &dyn ToTokens) -> bool {
        if self.seen.contains(&name) {
            self.errors
                .spanned(token, format!("duplicate argument `{name}`: give it once"));
            false
        } else {
            self.seen.push(name);
            true
        }
    }

    fn entry(&mut self, entry: RawArg) {
        match entry {
            RawArg::Crate { token, path } => {
                if self.first(argument::CRATE, &token) {
                    self.args.crate_path = Some(path);
                }
            }
            RawArg::Word(word) => self.word(word),
            RawArg::Assign { key, value } => self.assign(&key, value),
            RawArg::Fields { word, entries } => {
                if self.first(argument::FIELDS, &word) {
                    for field in entries {
                        self.field(field);
                    }
                }
            }
            RawArg::Capture { word, entries } => {
                if self.first(argument::CAPTURE, &word) {
                    for capture in entries {
                        self.capture(capture);
                    }
                }
            }
        }
    }

    /// A bare word: an operation or `stream`.
    fn word(&mut self, ident: Ident) {
        let word = ident.to_string();
        if word == argument::STREAM {
            if self.first(argument::STREAM, &ident) {
                self.args.stream = Some(ident);
            }
        } else if let Some(operation) = Operation::find(&word) {
            if let Some((first, _)) = &self.args.operation {
                let mut error = syn::Error::new_spanned(
                    &ident,
                    format!("only one operation per span: `{first}` is already given"),
                );
                error.combine(syn::Error::new_spanned(first, "first operation given here"));
                self.errors.push(error);
            } else {
                self.args.operation = Some((ident, operation));
            }
        } else if KEYS.iter().any(|key| key.name == word)
            || [
                argument::NAME,
                argument::KIND,
                argument::REQUEST,
                argument::CONTENT,
            ]
            .contains(&word.as_str())
        {
            self.errors
                .spanned(&ident, format!("expected `{word} = …`"));
        } else if word == argument::FIELDS {
            self.errors
                .spanned(&ident, "expected `fields(key = value, …)`");
        } else if word == argument::CAPTURE {
            self.errors.spanned(
                &ident,
                "expected `capture(messages, system = instructions, …)`",
            );
        } else {
            self.errors.spanned(
                &ident,
                format!(
                    "unknown operation `{word}`{}; expected one of {}",
                    did_you_mean(&word, Operation::names()),
                    list(Operation::names())
                ),
            );
        }
    }

    /// `word = value`.
    fn assign(&mut self, ident: &Ident, value: Expr) {
        let word = ident.to_string();
        match word.as_str() {
            argument::NAME => match value {
                Expr::Lit(ExprLit {
                    lit: Lit::Str(lit), ..
                }) => {
                    if self.first(argument::NAME, ident) {
                        self.args.name = Some(lit);
                    }
                }
                other => self
                    .errors
                    .spanned(other, "expected a string literal: `name = \"my_span\"`"),
            },
            argument::KIND => self.kind(ident, &value),
            argument::STREAM => self.errors.spanned(
                value,
                "write `stream` without a value: it marks a function whose return value is a stream",
            ),
            argument::REQUEST => {
                if self.first(argument::REQUEST, ident) {
                    self.args.request = Some(value);
                }
            }
            argument::CONTENT => self.content(ident, &value),
            _ => match KEYS.iter().find(|key| key.name == word) {
                Some(spec) => {
                    if let Err(error) = check_literal(spec, &value) {
                        self.errors.push(error);
                    } else if self.first(spec.name, ident) {
                        self.args.keys.push(KeyArg { spec, value });
                    }
                }
                None => self.errors.spanned(
                    ident,
                    format!(
                        "unknown argument `{word}`{}; expected a GenAI key such as `provider`, `model`, `temperature`, `max_tokens` (see the documentation of #[trace_genai] for all), `name`, `kind`, `crate`, or `fields({word} = …)` for a custom attribute",
                        did_you_mean(
                            &word,
                            KEYS.iter().map(|key| key.name).chain(argument::ALL.iter().copied())
                        )
                    ),
                ),
            },
        }
    }

    /// `kind = client`.
    fn kind(&mut self, ident: &Ident, value: &Expr) {
        let kinds = || KINDS.iter().map(|(name, _)| *name);
        let word = match value {
            Expr::Lit(ExprLit {
                lit: Lit::Str(quoted),
                ..
            }) => {
                self.errors.spanned(
                    quoted,
                    format!(
                        "write the span kind without quotes: `kind = {}`",
                        quoted.value()
                    ),
                );
                return;
            }
            Expr::Path(path) if path.qself.is_none() && path.attrs.is_empty() => {
                path.path.get_ident()
            }
            _ => None,
        };
        let Some(word) = word else {
            self.errors.spanned(
                value,
                format!("expected a span kind: one of {}", list(kinds())),
            );
            return;
        };
        match KINDS.iter().find(|(name, _)| word == name) {
            Some((_, variant)) => {
                if self.first(argument::KIND, ident) {
                    self.args.kind = Some((word.clone(), variant));
                }
            }
            None => self.errors.spanned(
                word,
                format!(
                    "unknown span kind `{word}`{}; expected one of {}",
                    did_you_mean(&word.to_string(), kinds()),
                    list(kinds())
                ),
            ),
        }
    }

    /// `content = "span_only"`.
    fn content(&mut self, ident: &Ident, value: &Expr) {
        let policies = || CONTENT_POLICIES.iter().map(|(name, _)| *name);
        let expected = list(policies());
        let Expr::Lit(ExprLit {
            lit: Lit::Str(lit), ..
        }) = value
        else {
            self.errors.spanned(
                value,
                format!("expected a string literal: `content = \"span_only\"` (one of {expected})"),
            );
            return;
        };
        let text = lit.value().to_ascii_lowercase();
        match CONTENT_POLICIES.iter().find(|(name, _)| *name == text) {
            Some((_, variant)) => {
                if self.first(argument::CONTENT, ident) {
                    self.args.content = Some(variant);
                }
            }
            None => self.errors.spanned(
                lit,
                format!(
                    "unknown content policy {:?}{}; expected one of {expected}",
                    lit.value(),
                    did_you_mean(&text, policies()),
                ),
            ),
        }
    }

    /// One `fields(...)` entry.
    fn field(&mut self, field: FieldArg) {
        let key = field.key.value();
        if key.is_empty() {
            self.errors
                .spanned(&field.key, "a field name cannot be empty");
        } else if is_content_key(&key) {
            self.errors.spanned(
                &field.key,
                format!(
                    "`{key}` holds message content, which `fields(...)` would record whatever the content policy says; capture it with `capture(...)` (e.g. `capture(messages)`), which follows the policy"
                ),
            );
        } else if self.args.fields.iter().any(|f| f.key.value() == key) {
            self.errors
                .spanned(&field.key, format!("duplicate field `{key}`"));
        } else {
            self.args.fields.push(field);
        }
    }

    /// One `capture(...)` entry.
    fn capture(&mut self, capture: RawCapture) {
        let RawCapture { name, value } = capture;
        let word = name.to_string();
        let names = || CAPTURE_NAMES.iter().map(|capture| capture.name);
        let Some(known) = CAPTURE_NAMES.iter().find(|capture| capture.name == word) else {
            self.errors.spanned(
                &name,
                format!(
                    "cannot capture `{word}`{}; expected one of {}, e.g. `capture(messages, system = instructions)`",
                    did_you_mean(&word, names()),
                    list(names())
                ),
            );
            return;
        };
        let source = match (known.slot, value) {
            (Slot::Output, RawCaptureValue::None) => CaptureSource::Return,
            (Slot::Output, _) => {
                self.errors.spanned(
                    &name,
                    format!(
                        "`{word}` captures the return value: write `capture({word})` without `= …`"
                    ),
                );
                return;
            }
            (_, RawCaptureValue::Parameters(parameters)) => {
                if parameters.is_empty() {
                    self.errors
                        .spanned(&name, "name the parameters: `arguments(city, unit)`");
                    return;
                }
                CaptureSource::Parameters(parameters)
            }
            (_, RawCaptureValue::Expr(expr)) => CaptureSource::Expr(expr),
            (_, RawCaptureValue::None) => CaptureSource::Implicit(name.clone()),
        };
        self.args.captures.push(CaptureArg {
            name,
            slot: known.slot,
            source,
        });
    }

    /// Rules between `capture(...)` entries and the operation.
    fn captures(&mut self) {
        let operation = self.args.operation();
        let mut seen: Vec<Slot> = Vec::new();
        let mut kept = Vec::new();
        for capture in std::mem::take(&mut self.args.captures) {
            let name = capture.name.to_string();
            let only = CAPTURE_NAMES
                .iter()
                .find(|known| known.name == name)
                .and_then(|known| known.only);
            if let Some(only) = only
                && operation != Some(only)
            {
                let only = only.name();
                self.errors.spanned(
                    &capture.name,
                    format!("`capture({name})` is for `{only}` spans: add the `{only}` operation, or remove `{name}`"),
                );
                continue;
            }
            if seen.contains(&capture.slot) {
                self.errors.spanned(
                    &capture.name,
                    format!("`{name}` is captured twice: give it once"),
                );
                continue;
            }
            seen.push(capture.slot);
            kept.push(capture);
        }
        self.args.captures = kept;
    }

    /// `name` names a span that is not a GenAI operation.
    fn name_and_operation(&mut self) {
        if let (Some(name), Some(operation)) = (&self.args.name, self.args.operation()) {
            self.errors.spanned(
                name,
                format!(
                    "`name` cannot be combined with `{op}`: the conventions name this span `{op} {{{subject}}}`; remove `name`, or the operation for a span that is not a GenAI operation",
                    op = operation.name(),
                    subject = operation.subject().name,
                ),
            );
        }
    }

    /// Rules about the function alone.
    fn item(&mut self, function: &MaybeItemFn) {
        if let Some(constness) = &function.sig.constness {
            self.errors.spanned(
                constness,
                "#[trace_genai] cannot instrument a `const fn`: spans are created at run time",
            );
        }
        if let Body::Missing(semi) = &function.body {
            self.errors
                .spanned(semi, "#[trace_genai] needs a function body");
        }
    }

    /// A bare name in `capture(...)` must be a parameter of the function. `slot = expr` is
    /// any expression (a parameter, a constant, a field, a call): the compiler checks it.
    fn parameters(&mut self, function: &MaybeItemFn) {
        let mut parameters = Parameters::default();
        for input in &function.sig.inputs {
            match input {
                FnArg::Receiver(_) => parameters.names.push("self".to_owned()),
                FnArg::Typed(typed) => parameters.visit_pat(&typed.pat),
            }
        }
        let function = function.sig.ident.unraw().to_string();
        let errors = &mut self.errors;
        let mut check = |ident: &Ident, hint: &str| {
            if !parameters.names.iter().any(|name| ident == name) {
                errors.spanned(
                    ident,
                    format!("`{ident}` is not a parameter of `{function}`{hint}"),
                );
            }
        };
        for capture in &self.args.captures {
            match &capture.source {
                CaptureSource::Implicit(ident) => {
                    // `capture(request)` uses the `request = …` value when there is one.
                    if capture.slot == Slot::Request && self.args.request.is_some() {
                        continue;
                    }
                    check(
                        ident,
                        &format!("; name the value to capture: `capture({ident} = <parameter>)`"),
                    );
                }
                CaptureSource::Parameters(idents) => {
                    for ident in idents {
                        check(ident, "");
                    }
                }
                CaptureSource::Expr(_) | CaptureSource::Return => {}
            }
        }
    }
}

/// The names a function's parameters bind.
#[derive(Default)]
struct Parameters {
    names: Vec<String>,
}

impl Visit<'_> for Parameters {
    fn visit_pat_ident(&mut self, pat: &syn::PatIdent) {
        self.names.push(pat.ident.to_string());
        syn::visit::visit_pat_ident(self, pat);
    }
}

/// Rejects literals of the wrong type; expressions are checked by the compiler.
fn check_literal(spec: &KeySpec, value: &Expr) -> syn::Result<()> {
    let Expr::Lit(ExprLit { lit, .. }) = value else {
        return Ok(());
    };
    let fits = matches!(
        (spec.ty, lit),
        (ValueType::Str, Lit::Str(_))
            | (ValueType::F64, Lit::Float(_) | Lit::Int(_))
            | (ValueType::I64 | ValueType::ChoiceCount, Lit::Int(_))
    );
    if fits {
        Ok(())
    } else {
        Err(syn::Error::new_spanned(
            lit,
            format!("`{}` expects {}", spec.name, spec.ty.expected()),
        ))
    }
}

/// Why an item that does not parse as a function cannot be instrumented.
pub(crate) fn not_a_function(item: &TokenStream, parse_error: syn::Error) -> syn::Error {
    let tokens: Vec<TokenTree> = item.clone().into_iter().collect();
    let is_word = |token: &TokenTree, word: &str| matches!(token, TokenTree::Ident(i) if i == word);
    let first = tokens
        .iter()
        .find(|token| !matches!(token, TokenTree::Punct(p) if p.as_char() == '#'));
    let span = first.map_or_else(Span::call_site, TokenTree::span);
    if first.is_some_and(|token| is_word(token, "safe")) {
        return syn::Error::new(
            span,
            "#[trace_genai] cannot instrument a function declared in an `extern` block: it has no body",
        );
    }
    // `fn name`: a function whose signature or body is malformed; syn's error says where.
    let is_function = tokens
        .windows(2)
        .any(|pair| is_word(&pair[0], "fn") && matches!(pair[1], TokenTree::Ident(_)));
    if is_function {
        return parse_error;
    }
    let message = if first.is_some_and(|token| is_word(token, "impl"))
        || tokens.iter().any(|token| is_word(token, "trait"))
    {
        "#[trace_genai] can only be applied to functions and methods: put it on the methods inside this block"
    } else {
        "#[trace_genai] can only be applied to functions and methods"
    };
    syn::Error::new(span, message)
}

/// Whether a `fields(...)` key is one the conventions (or their older and neighbouring
/// spellings) use for message content: such values follow the content policy, so they
/// are recorded with `capture(...)`.
fn is_content_key(key: &str) -> bool {
    matches!(
        key,
        "gen_ai.input.messages"
            | "gen_ai.output.messages"
            | "gen_ai.system_instructions"
            | "gen_ai.tool.definitions"
            | "gen_ai.tool.call.arguments"
            | "gen_ai.tool.call.result"
            | "gen_ai.retrieval.query.text"
            | "gen_ai.retrieval.documents"
            | "gen_ai.evaluation.explanation"
            | "gen_ai.prompt"
            | "gen_ai.completion"
            | "input.value"
            | "output.value"
    ) || key.starts_with("gen_ai.prompt.")
        || key.starts_with("gen_ai.completion.")
        || key.starts_with("llm.input_messages")
        || key.starts_with("llm.output_messages")
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn check(args: TokenStream, function: TokenStream) -> syn::Result<Args> {
        let function: MaybeItemFn = syn::parse2(function).unwrap();
        validate(crate::args::parse(args), Ok(&function))
    }

    fn messages(args: TokenStream, function: TokenStream) -> Vec<String> {
        check(args, function)
            .err()
            .unwrap()
            .into_iter()
            .map(|e| e.to_string())
            .collect()
    }

    #[test]
    fn checks_operation_keys_and_fields() {
        let args = check(
            quote!(
                chat,
                provider = "openai",
                model = req.model.as_str(),
                fields(app.tier = "gold", top = 3),
            ),
            quote!(
                fn f() {}
            ),
        )
        .unwrap();
        assert_eq!(args.operation(), Some(Operation::Chat));
        assert_eq!(args.keys.len(), 2);
        assert!(args.key(crate::vocabulary::MODEL).is_some());
        let fields: Vec<String> = args.fields.iter().map(|f| f.key.value()).collect();
        assert_eq!(fields, ["app.tier", "top"]);
    }

    #[test]
    fn reports_every_mistake_at_once() {
        let messages = messages(
            quote!(chatt, temperature = "hot", bogus = 1, capture(messages)),
            quote!(
                const fn f() {}
            ),
        );
        assert_eq!(messages.len(), 5, "{messages:?}");
        assert!(messages[0].starts_with("unknown operation `chatt` (did you mean `chat`?)"));
        assert!(messages[1].starts_with("`temperature` expects a number"));
        assert!(messages[2].starts_with("unknown argument `bogus`"));
        assert!(messages[3].contains("cannot instrument a `const fn`"));
        assert!(messages[4].starts_with("`messages` is not a parameter of `f`"));
    }

    #[test]
    fn repeated_arguments_get_one_message() {
        for args in [
            quote!(model = "a", model = "b"),
            quote!(fields(a = 1), fields(b = 2)),
            quote!(capture(messages), capture(system)),
        ] {
            let messages = messages(
                args,
                quote!(
                    fn f(messages: &str, system: &str) {}
                ),
            );
            assert_eq!(messages.len(), 1, "{messages:?}");
            assert!(
                messages[0].starts_with("duplicate argument"),
                "{messages:?}"
            );
        }
    }

    #[test]
    fn missing_comma_is_an_error() {
        let messages = messages(
            quote!(chat model = "a"),
            quote!(
                fn f() {}
            ),
        );
        assert_eq!(messages, ["expected `,` between arguments"]);
    }
}
