"""Prediction and poll templates saved on this machine.

A template is a prediction or poll the streamer runs often ("Will we beat the
boss?"), kept in ``<data_dir>/templates.json``. Templates are checked against
Twitch's documented limits when saved. The core does not import the Twitch
client, so the limits come in as a small callable: ``check(limit_name, value)``
raises ``ValueError`` when ``value`` breaks the named limit. The limit names are
those of ``companion.twitch.limits.LIMITS``; the app passes
``lambda name, value: LIMITS[name].check(value)``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import UserError
from .jsonstore import StoreError, read_json, write_json_atomically

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["LimitCheck", "PollTemplate", "PredictionTemplate", "TemplateInvalid", "TemplateStore"]

_log = logging.getLogger(__name__)

_FILE_VERSION = 1
# Not a Twitch limit: the template's own name, shown in a menu.
_MAX_NAME_LENGTH = 100

#: ``check(limit_name, value)`` raises ValueError if ``value`` breaks the limit.
LimitCheck = Callable[[str, object], None]


class TemplateInvalid(UserError):
    """A template breaks one or more limits; nothing was saved.

    Attributes:
        problems: One message per broken limit, in field order.
    """

    def __init__(self, problems: list[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(problems))


@dataclass(frozen=True, slots=True)
class PredictionTemplate:
    """A saved prediction.

    Attributes:
        name: The template's name (unique among prediction templates, ignoring case).
        title: The prediction's title.
        outcomes: The outcome titles, in order.
        window_seconds: How long viewers can predict.
    """

    name: str
    title: str
    outcomes: tuple[str, ...]
    window_seconds: int

    def problems(self, check: LimitCheck) -> list[str]:
        """Every limit this template breaks (empty when it is fine)."""
        found = _check_name(self.name)
        found += _run(check, "prediction_title", self.title)
        found += _run(check, "prediction_outcomes", self.outcomes)
        # Twitch documents no rule that outcome titles differ, so none is enforced here.
        for outcome in self.outcomes:
            found += _run(check, "prediction_outcome_title", outcome)
        found += _run(check, "prediction_window", self.window_seconds)
        return found

    def to_json(self) -> dict[str, Any]:
        """The stored shape."""
        return {
            "name": self.name,
            "title": self.title,
            "outcomes": list(self.outcomes),
            "window_seconds": self.window_seconds,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PredictionTemplate:
        """Build from the stored shape."""
        return cls(
            name=str(data["name"]),
            title=str(data["title"]),
            outcomes=tuple(str(outcome) for outcome in data["outcomes"]),
            window_seconds=int(data["window_seconds"]),
        )


@dataclass(frozen=True, slots=True)
class PollTemplate:
    """A saved poll.

    Attributes:
        name: The template's name (unique among poll templates, ignoring case).
        title: The poll's question.
        choices: The choice titles, in order.
        duration_seconds: How long the poll runs.
        channel_points_per_vote: Extra votes' cost in channel points, or None when
            channel-points voting is off.
    """

    name: str
    title: str
    choices: tuple[str, ...]
    duration_seconds: int
    channel_points_per_vote: int | None = None

    def problems(self, check: LimitCheck) -> list[str]:
        """Every limit this template breaks (empty when it is fine)."""
        found = _check_name(self.name)
        found += _run(check, "poll_title", self.title)
        found += _run(check, "poll_choices", self.choices)
        for choice in self.choices:
            found += _run(check, "poll_choice_title", choice)
        found += _run(check, "poll_duration", self.duration_seconds)
        if self.channel_points_per_vote is not None:
            found += _run(check, "poll_channel_points_per_vote", self.channel_points_per_vote)
        return found

    def to_json(self) -> dict[str, Any]:
        """The stored shape."""
        return {
            "name": self.name,
            "title": self.title,
            "choices": list(self.choices),
            "duration_seconds": self.duration_seconds,
            "channel_points_per_vote": self.channel_points_per_vote,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PollTemplate:
        """Build from the stored shape."""
        points = data.get("channel_points_per_vote")
        return cls(
            name=str(data["name"]),
            title=str(data["title"]),
            choices=tuple(str(choice) for choice in data["choices"]),
            duration_seconds=int(data["duration_seconds"]),
            channel_points_per_vote=int(points) if points is not None else None,
        )


def _check_name(name: str) -> list[str]:
    if not name.strip():
        return ["A template needs a name."]
    if len(name) > _MAX_NAME_LENGTH:
        return [f"A template name is at most {_MAX_NAME_LENGTH} characters."]
    return []


def _run(check: LimitCheck, limit: str, value: object) -> list[str]:
    try:
        check(limit, value)
    except (ValueError, TypeError) as exc:
        return [str(exc)]
    return []


class TemplateStore:
    """Prediction and poll templates in ``<data_dir>/templates.json``.

    Args:
        data_dir: The app's data folder.
        check: Checks one value against one named limit (see the module docs).

    Raises:
        StoreError: The file was written by a newer app or has the wrong shape.
    """

    FILE_NAME = "templates.json"

    def __init__(self, data_dir: Path, check: LimitCheck) -> None:
        self.path = data_dir / self.FILE_NAME
        self._check = check
        self._predictions: dict[str, PredictionTemplate] = {}
        self._polls: dict[str, PollTemplate] = {}
        data = read_json(self.path, kind="templates", version=_FILE_VERSION)
        if data is not None:
            try:
                for entry in data["predictions"]:
                    prediction = PredictionTemplate.from_json(entry)
                    self._predictions[prediction.name.casefold()] = prediction
                for entry in data["polls"]:
                    poll = PollTemplate.from_json(entry)
                    self._polls[poll.name.casefold()] = poll
            except (KeyError, TypeError, ValueError) as exc:
                raise StoreError(f"templates file {self.path} has the wrong shape: {exc}") from exc

    def __repr__(self) -> str:
        return (
            f"TemplateStore({str(self.path)!r}, predictions={len(self._predictions)},"
            f" polls={len(self._polls)})"
        )

    def _save(self) -> None:
        write_json_atomically(
            self.path,
            {
                "version": _FILE_VERSION,
                "predictions": [t.to_json() for t in self._predictions.values()],
                "polls": [t.to_json() for t in self._polls.values()],
            },
        )

    def predictions(self) -> list[PredictionTemplate]:
        """Every prediction template, in the order first saved."""
        return list(self._predictions.values())

    def polls(self) -> list[PollTemplate]:
        """Every poll template, in the order first saved."""
        return list(self._polls.values())

    def prediction(self, name: str) -> PredictionTemplate | None:
        """A prediction template by name (ignoring case), or None."""
        return self._predictions.get(name.casefold())

    def poll(self, name: str) -> PollTemplate | None:
        """A poll template by name (ignoring case), or None."""
        return self._polls.get(name.casefold())

    def save_prediction(self, template: PredictionTemplate) -> None:
        """Check and store a prediction template (replacing one of the same name).

        Raises:
            TemplateInvalid: It breaks a limit; nothing was saved.
        """
        problems = template.problems(self._check)
        if problems:
            raise TemplateInvalid(problems)
        self._predictions[template.name.casefold()] = template
        self._save()

    def save_poll(self, template: PollTemplate) -> None:
        """Check and store a poll template (replacing one of the same name).

        Raises:
            TemplateInvalid: It breaks a limit; nothing was saved.
        """
        problems = template.problems(self._check)
        if problems:
            raise TemplateInvalid(problems)
        self._polls[template.name.casefold()] = template
        self._save()

    def delete_prediction(self, name: str) -> bool:
        """Delete a prediction template; False if there was none."""
        if self._predictions.pop(name.casefold(), None) is None:
            return False
        self._save()
        return True

    def delete_poll(self, name: str) -> bool:
        """Delete a poll template; False if there was none."""
        if self._polls.pop(name.casefold(), None) is None:
            return False
        self._save()
        return True
