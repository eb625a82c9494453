//! The Slack-like server, filled in with the resilience work.
