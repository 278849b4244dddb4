//! Every process-wide static of trace-genai.
