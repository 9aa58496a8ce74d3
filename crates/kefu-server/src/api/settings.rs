//! The settings pages' API: the server's limits and the centre's name
//! (SMTP, Chatwoot and team settings live with their features).

use axum::extract::State;
use axum::Json;

use crate::auth::{Auth, Role};
use crate::centre::{self, CentreSettings};
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::limits::{self, ServerLimits};
use crate::qa::{self, QaSettings};
use crate::retention::{self, RetentionSettings};
use crate::state::AppState;

#[utoipa::path(get, path = "/api/v1/settings/limits", tag = "settings", responses((status = 200, body = ServerLimits), (status = 403, body = crate::error::ErrorBody)))]
/// The limits in force (admins).
pub async fn get_limits(auth: Auth, State(state): State<AppState>) -> Result<Json<ServerLimits>, ApiError> {
    auth.require(Role::Admin)?;
    Ok(Json(state.limits()))
}

#[utoipa::path(put, path = "/api/v1/settings/limits", tag = "settings", request_body = ServerLimits,
    responses((status = 200, body = ServerLimits), (status = 422, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
/// Changes the limits (admins); fields left out keep their defaults. In force at once, audited.
pub async fn put_limits(auth: Auth, State(state): State<AppState>, ApiJson(limits): ApiJson<ServerLimits>) -> Result<Json<ServerLimits>, ApiError> {
    auth.require(Role::Admin)?;
    limits.validate()?;
    state.save_json_setting(&auth.user, limits::SETTINGS_KEY, &limits).await?;
    state.set_limits(limits);
    Ok(Json(limits))
}

#[utoipa::path(get, path = "/api/v1/settings/qa", tag = "settings", responses((status = 200, body = QaSettings)))]
/// The QA settings: the pass mark of 合格率 and the appeal window (everyone signed in: the console shows them).
pub async fn get_qa(_auth: Auth, State(state): State<AppState>) -> Result<Json<QaSettings>, ApiError> {
    Ok(Json(state.json_setting(qa::SETTINGS_KEY).await?))
}

#[utoipa::path(put, path = "/api/v1/settings/qa", tag = "settings", request_body = QaSettings,
    responses((status = 200, body = QaSettings), (status = 422, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
/// Sets the pass mark and the appeal window (admins); in force at once, audited.
pub async fn put_qa(auth: Auth, State(state): State<AppState>, ApiJson(settings): ApiJson<QaSettings>) -> Result<Json<QaSettings>, ApiError> {
    auth.require(Role::Admin)?;
    settings.validate()?;
    state.save_json_setting(&auth.user, qa::SETTINGS_KEY, &settings).await?;
    Ok(Json(settings))
}

#[utoipa::path(get, path = "/api/v1/settings/centre", tag = "settings", responses((status = 200, body = CentreSettings)))]
/// The centre's name (everyone signed in: the console shows it).
pub async fn get_centre(_auth: Auth, State(state): State<AppState>) -> Json<CentreSettings> {
    Json(state.centre())
}

#[utoipa::path(put, path = "/api/v1/settings/centre", tag = "settings", request_body = CentreSettings,
    responses((status = 200, body = CentreSettings), (status = 422, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
/// Sets the centre's name (admins); in force at once, audited.
pub async fn put_centre(auth: Auth, State(state): State<AppState>, ApiJson(mut centre): ApiJson<CentreSettings>) -> Result<Json<CentreSettings>, ApiError> {
    auth.require(Role::Admin)?;
    centre.validate()?;
    centre.name = centre.name.trim().to_string();
    state.save_json_setting(&auth.user, centre::SETTINGS_KEY, &centre).await?;
    state.set_centre(centre.clone());
    Ok(Json(centre))
}

#[utoipa::path(get, path = "/api/v1/settings/retention", tag = "settings", responses((status = 200, body = RetentionSettings), (status = 403, body = crate::error::ErrorBody)))]
/// How long transcripts and customers' personal data are kept (admins); 0 days keeps them for ever.
pub async fn get_retention(auth: Auth, State(state): State<AppState>) -> Result<Json<RetentionSettings>, ApiError> {
    auth.require(Role::Admin)?;
    Ok(Json(state.json_setting(retention::SETTINGS_KEY).await?))
}

#[utoipa::path(put, path = "/api/v1/settings/retention", tag = "settings", request_body = RetentionSettings,
    responses((status = 200, body = RetentionSettings), (status = 400, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
/// Sets the retention periods (admins); audited. The hourly job deletes by them.
pub async fn put_retention(auth: Auth, State(state): State<AppState>, ApiJson(settings): ApiJson<RetentionSettings>) -> Result<Json<RetentionSettings>, ApiError> {
    auth.require(Role::Admin)?;
    settings.validate()?;
    state.save_json_setting(&auth.user, retention::SETTINGS_KEY, &settings).await?;
    Ok(Json(settings))
}

#[utoipa::path(post, path = "/api/v1/settings/retention/run", tag = "settings", responses((status = 200, body = kefu_store::retention::RetentionReport), (status = 403, body = crate::error::ErrorBody)))]
/// Deletes by the retention periods now (admins) and says what was deleted (also in the audit log).
pub async fn run_retention(auth: Auth, State(state): State<AppState>) -> Result<Json<kefu_store::retention::RetentionReport>, ApiError> {
    auth.require(Role::Admin)?;
    Ok(Json(retention::apply(&state).await?))
}
