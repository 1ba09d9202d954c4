"""An episode's wire shapes: the episode, its summary and its phase history."""

from __future__ import annotations

from core.episodes.models import Episode, PhaseChange
from core.episodes.schemas import EpisodeOut, EpisodeSummary, PhaseChangeOut


def change_out(change: PhaseChange) -> PhaseChangeOut:
    return PhaseChangeOut(
        id=change.id,
        from_phase=change.from_phase,
        to_phase=change.to_phase,
        changed_at=change.changed_at,
        changed_by=change.changed_by,
        reason=change.reason,
    )


def episode_summary(episode: Episode) -> EpisodeSummary:
    return EpisodeSummary(
        id=episode.id,
        person_id=episode.person_id,
        previous_episode_id=episode.previous_episode_id,
        phase=episode.phase,
        key_worker_id=episode.key_worker_id,
        lead_organisation_id=episode.lead_organisation_id,
        opened_at=episode.opened_at,
        closed_at=episode.closed_at,
    )


def episode_out(episode: Episode, history: list[PhaseChange]) -> EpisodeOut:
    return EpisodeOut(
        id=episode.id,
        person_id=episode.person_id,
        previous_episode_id=episode.previous_episode_id,
        phase=episode.phase,
        key_worker_id=episode.key_worker_id,
        lead_organisation_id=episode.lead_organisation_id,
        opened_at=episode.opened_at,
        closed_at=episode.closed_at,
        closed_reason=episode.closed_reason,
        created_at=episode.created_at,
        updated_at=episode.updated_at,
        history=[change_out(c) for c in history],
    )
