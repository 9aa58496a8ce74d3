//! The settings pages' API: the server's limits and the centre's name
//! (SMTP, Chatwoot and team settings live with their features).

use axum::extract::State;
use axum::Json;

use crate::auth::{Auth, Role};
use crate::centre::{self, CentreSettings};
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::limits::{self, ServerLimits};
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
