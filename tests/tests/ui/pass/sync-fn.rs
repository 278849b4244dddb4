// Sync functions with every argument form: bare, name, kind, operations, literal and expression keys, fields, `?` and early returns.
#![deny(warnings)]

use trace_genai::trace_genai;

#[derive(Debug)]
struct ToolError;

struct Request {
    model: String,
    temperature: f32,
    max_tokens: Option<u32>,
    stop: Vec<String>,
}

#[trace_genai]
fn bare(text: &str) -> String {
    text.to_uppercase()
}

#[trace_genai()]
fn empty_parens() {}

#[trace_genai(name = "retrieve_docs", kind = client, fields(app.tier = "gold", top = 3),)]
fn named(query: &str) -> Vec<String> {
    vec![query.to_owned()]
}

#[trace_genai(execute_tool)]
fn get_weather(city: &str) -> Result<String, ToolError> {
    if city.is_empty() {
        return Err(ToolError);
    }
    Ok(format!("sunny in {city}"))
}

#[trace_genai(
    chat,
    provider = "openai",
    model = req.model.as_str(),
    server_address = "api.openai.com",
    server_port = 443,
    temperature = req.temperature,
    top_p = 1,
    max_tokens = req.max_tokens,
    seed = 7_i64,
    stop_sequences = &req.stop,
    choice_count = 2,
    fields(app.request_id = id, "app.names" = vec!["a", "b"], app.cached = true, app.score = Some(0.5), r#type = "x"),
)]
fn chat(req: &Request, id: u64) -> Result<String, ToolError> {
    let weather = get_weather("Paris")?;
    Ok(format!("{} {weather} {id}", req.model))
}

#[trace_genai(embeddings, model = "text-embedding-3-small", dimension_count = dims)]
fn embed(input: &[&str], dims: usize) -> Vec<Vec<f32>> {
    input.iter().map(|_| vec![0.0; dims]).collect()
}

#[trace_genai(retrieval, data_source = "docs", kind = internal)]
fn retrieve(mut n: u32, (a, b): (u32, u32)) -> u32 {
    n += a + b;
    n
}

#[trace_genai(invoke_agent, agent = "planner", stop_sequences = ["END"])]
fn plan() -> &'static str {
    "plan"
}

#[trace_genai(invoke_workflow, workflow = "ingest")]
fn ingest() -> Option<u8> {
    let value = Some(1)?;
    Some(value + 1)
}

#[trace_genai(name = "diverges")]
fn diverges_sometimes(fail: bool) -> u32 {
    if fail {
        panic!("fail");
    }
    1
}

fn main() {
    assert_eq!(bare("hi"), "HI");
    empty_parens();
    assert_eq!(named("q"), ["q"]);
    let req = Request {
        model: "gpt-4o".to_owned(),
        temperature: 0.2,
        max_tokens: Some(256),
        stop: vec!["END".to_owned()],
    };
    assert_eq!(chat(&req, 9).unwrap(), "gpt-4o sunny in Paris 9");
    assert!(get_weather("").is_err());
    assert_eq!(embed(&["a", "b"], 3).len(), 2);
    assert_eq!(retrieve(1, (2, 3)), 6);
    assert_eq!(plan(), "plan");
    assert_eq!(ingest(), Some(2));
    assert_eq!(diverges_sometimes(false), 1);
}
