//! Integration tests for trace-genai.
