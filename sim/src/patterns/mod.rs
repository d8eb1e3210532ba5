//! One module per communication pattern of the brief.
//!
//! Each module declares its `INFO` (catalogue entry and parameter specs) and
//! an engine implementing [`crate::pattern::Pattern`].

pub mod async_request_reply;
pub mod event_choreography;
pub mod fire_and_forget;
pub mod long_polling;
pub mod message_queue;
pub mod publish_subscribe;
pub mod request_response;
pub mod scatter_gather;
pub mod server_sent_events;
pub mod short_polling;
pub mod webhooks;
pub mod websocket;
