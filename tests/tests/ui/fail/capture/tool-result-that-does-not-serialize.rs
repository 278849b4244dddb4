// A tool result is recorded as JSON: its type must implement `Serialize`.
use trace_genai::trace_genai;

struct Forecast;

#[trace_genai(execute_tool, capture(arguments(city), result))]
fn get_weather(city: &str) -> Result<Forecast, std::io::Error> {
    let _ = city;
    Ok(Forecast)
}

fn main() {}
