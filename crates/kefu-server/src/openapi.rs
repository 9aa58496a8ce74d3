//! The OpenAPI 3 document, generated from the handlers' annotations.

use axum::Json;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::api;

#[derive(OpenApi)]
#[openapi(
    info(title = "kefu API", description = "客服规范执行引擎：忌语检查、场景识别、标准回复、质检评分、申诉与规则库。所有接口需登录（会话 Cookie）或 API 令牌（Authorization: Bearer）。"),
    paths(
        api::users::login, api::users::logout, api::users::me, api::users::list, api::users::people, api::users::create, api::users::update, api::users::create_token, api::users::list_tokens, api::users::revoke_token, api::settings::get_limits, api::settings::put_limits, crate::feedback::create, crate::feedback::list, crate::feedback::export, api::settings::get_centre, api::settings::put_centre, api::settings::get_qa, api::settings::put_qa, api::scorecard_export::export, crate::desk::unread, crate::desk::mark_read, api::settings::get_retention, api::settings::put_retention, api::settings::run_retention,
        api::engine::lint, api::engine::classify, api::engine::reply, api::engine::inspect,
        api::conversations::create, api::conversations::search, api::conversations::view, api::conversations::report,
        api::conversations::file_appeal, api::conversations::list_appeals, api::conversations::decide,
        api::rulebook::overview, api::rulebook::rule, api::rulebook::file, api::rulebook::edit, api::rulebook::versions, api::checks::validate, api::checks::preview, api::rulebook::restore, api::rulebook::add_to_rule, api::rulebook::audit, api::rulebook::try_sentence,
        api::conversations::webhook_transcript,
        crate::desk::edit, crate::desk::call_log_draft, crate::desk::create, crate::desk::list, crate::desk::view, crate::desk::event, crate::desk::from_conversation, crate::desk::obligations_list,
        crate::desk::notifications, crate::desk::set_hours, crate::desk::get_hours, crate::desk::calendar_years, crate::desk::import_year, crate::desk::calendar_day,
        crate::mail::get_smtp, crate::mail::put_smtp, crate::mail::get_team_mail, crate::mail::put_team_mail, crate::mail::export, crate::mail::send,
        crate::attendance::clock_in, crate::attendance::request, crate::attendance::requests, crate::attendance::team, crate::attendance::approve, crate::attendance::report, crate::attendance::report_xlsx,
        crate::chatwoot::webhook, crate::chatwoot::get_settings, crate::chatwoot::put_settings, crate::chatwoot::inspect_chat,
    ),
    modifiers(&Security),
    security(("session" = []), ("token" = [])),
    tags(
        (name = "auth", description = "登录与会话"), (name = "users", description = "账号与 API 令牌（管理员）"),
        (name = "engine", description = "忌语检查、场景识别、标准回复、质检（不存储）"),
        (name = "conversations", description = "已存储的会话与评分卡"), (name = "appeals", description = "申诉"),
        (name = "rulebook", description = "规则库、版本与审计日志"), (name = "integrations", description = "外部系统接入"), (name = "desk", description = "服务台：记录、时限、节假日"), (name = "attendance", description = "考勤"), (name = "settings", description = "限制与登录节流（管理员）"),
    )
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("session", SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(crate::auth::SESSION_COOKIE))));
        components.add_security_scheme("token", SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()));
    }
}

pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
