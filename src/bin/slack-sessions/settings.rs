//! `slack-sessions settings get|set|clear`: users' session settings.

use std::time::Duration;

use clap::Subcommand;
use slack_sessions::{ClearSettingsRequest, GetSettingsRequest, SetSettingsRequest};

use crate::core::{self, json, Failure, Global};

/// Read, set or clear users' session settings (duration, quit on close).
#[derive(Subcommand, Debug)]
pub(crate) enum SettingsCommand {
    /// Show the users' own session settings.
    ///
    /// Calls admin.users.session.getSettings (scope admin.users:read, Tier 4).
    Get {
        /// User ids or email addresses.
        #[arg(required = true, value_name = "USER_ID")]
        user_ids: Vec<String>,
    },
    /// Set the session duration and/or quit-on-close for up to 1,000 users.
    ///
    /// Calls admin.users.session.setSettings (scope admin.users:write, Tier 4).
    #[command(
        override_usage = "slack-sessions settings set <USER_ID>... [--duration <SECONDS>] [--quit-on-close <BOOL>]"
    )]
    Set {
        /// User ids or email addresses.
        #[arg(required = true, value_name = "USER_ID")]
        user_ids: Vec<String>,
        /// Session duration in seconds (28800 = 8 hours to 315569520 = 10 years).
        #[arg(long, value_name = "SECONDS")]
        duration: Option<u64>,
        /// End sessions when the desktop app or browser window closes.
        #[arg(long, value_name = "BOOL")]
        quit_on_close: Option<bool>,
    },
    /// Remove the users' own settings (the org's defaults apply again).
    ///
    /// Calls admin.users.session.clearSettings (scope admin.users:write, Tier 4).
    Clear {
        /// User ids or email addresses.
        #[arg(required = true, value_name = "USER_ID")]
        user_ids: Vec<String>,
    },
}

pub(crate) fn run(command: &SettingsCommand, global: &Global) -> Result<(), Failure> {
    let client = core::simple_client(global)?;
    match command {
        SettingsCommand::Get { user_ids } => {
            let resolved = core::resolve(&client, user_ids, global)?;
            let request = GetSettingsRequest::new(resolved.ids.iter().cloned());
            if global.dry_run {
                return core::call_with(
                    &client,
                    &request,
                    &resolved,
                    global,
                    String::new,
                    serde_json::json!({"user_ids": resolved.ids}),
                );
            }
            let answer = client.send_with_meta(&request)?;
            core::print_warnings(answer.meta.warnings());
            for s in &answer.response.session_settings {
                let line = if global.json {
                    json::Object::ok()
                        .field("user_id", &s.user_id)
                        .field("own_settings", true)
                        .field("duration", s.duration)
                        .field("desktop_app_browser_quit", s.desktop_app_browser_quit)
                        .line()
                } else {
                    let duration = s.duration.map_or("-".to_owned(), |d| format!("{d}s"));
                    let quit = s
                        .desktop_app_browser_quit
                        .map_or("-".to_owned(), |q| q.to_string());
                    format!("{}\tduration={duration}\tquit_on_close={quit}", s.user_id)
                };
                if !core::print_listing(&line)? {
                    return Ok(());
                }
            }
            for u in &answer.response.no_settings_applied {
                let line = if global.json {
                    json::Object::ok()
                        .field("user_id", u)
                        .field("own_settings", false)
                        .line()
                } else {
                    format!("{u}\t(no settings of their own: the org's defaults apply)")
                };
                if !core::print_listing(&line)? {
                    return Ok(());
                }
            }
            Ok(())
        }
        SettingsCommand::Set {
            user_ids,
            duration,
            quit_on_close,
        } => {
            let resolved = core::resolve(&client, user_ids, global)?;
            let user_ids = &resolved.ids;
            let mut request = SetSettingsRequest::new(user_ids.iter().cloned());
            if let Some(d) = duration {
                request = request.duration(Duration::from_secs(*d));
            }
            if let Some(q) = quit_on_close {
                request = request.desktop_app_browser_quit(*q);
            }
            core::call_with(
                &client,
                &request,
                &resolved,
                global,
                || format!("set session settings of {} user(s)", user_ids.len()),
                serde_json::json!({
                    "user_ids": user_ids,
                    "duration": duration,
                    "desktop_app_browser_quit": quit_on_close,
                }),
            )
        }
        SettingsCommand::Clear { user_ids } => {
            let resolved = core::resolve(&client, user_ids, global)?;
            let user_ids = &resolved.ids;
            let request = ClearSettingsRequest::new(user_ids.iter().cloned());
            core::call_with(
                &client,
                &request,
                &resolved,
                global,
                || format!("cleared session settings of {} user(s)", user_ids.len()),
                serde_json::json!({"user_ids": user_ids}),
            )
        }
    }
}
