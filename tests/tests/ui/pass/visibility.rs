// Visibility is kept: `pub`, `pub(crate)`, `pub(super)` and `pub(in path)` functions are callable from where they should be.
#![deny(warnings)]

mod outer {
    use trace_genai::trace_genai;

    pub mod inner {
        use trace_genai::trace_genai;

        #[trace_genai]
        pub fn public() -> u32 {
            1
        }

        #[trace_genai]
        pub(crate) fn crate_visible() -> u32 {
            2
        }

        #[trace_genai]
        pub(super) fn parent_visible() -> u32 {
            3
        }

        #[trace_genai]
        pub(in crate::outer) fn path_visible() -> u32 {
            4
        }
    }

    #[trace_genai]
    pub(crate) async fn crate_visible_async() -> u32 {
        inner::parent_visible() + inner::path_visible()
    }
}

fn main() {
    assert_eq!(outer::inner::public(), 1);
    assert_eq!(outer::inner::crate_visible(), 2);
    assert_eq!(futures::executor::block_on(outer::crate_visible_async()), 7);
}
