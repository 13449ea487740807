"""Forms of Admin → Clients and Work types.

The forms check what was typed (a time as HH:MM, a number, a choice from the list) and offer
the choices in the reader's language (countries, currencies, time zones and weekdays from
Babel); the rules (unique keys, keys used by scripts, at least one day with calls) are
``services.clients``', whose refusals are shown next to the same fields.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import get_day_names, get_timezone_gmt, get_timezone_location
from babel.numbers import get_currency_name
from flask_babel import get_locale, lazy_pgettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import NumberInput

from console.forms import show_refusal
from console.models.catalog import DEFAULT_WORKING_HOURS
from console.phones import readable_phone
from console.services import calling_hours
from console.services import clients as client_service
from console.services.reports import bonus

KEY_MESSAGE = _l("Lower-case letters, digits, - and _ only, starting with a letter or digit.")
HH_MM = _l("A time as HH:MM, e.g. 09:00.")

CLOSED, HOURS, ALL_DAY = "closed", "hours", "all_day"


def _locale() -> Locale:
    return get_locale() or Locale.parse("en")


def weekday_names() -> list[str]:
    """Monday..Sunday in the reader's language, capitalised as a row heading."""
    names = get_day_names("wide", context="stand-alone", locale=_locale())
    return [names[d][:1].upper() + names[d][1:] for d in range(7)]


def short_weekday_names() -> list[str]:
    names = get_day_names("abbreviated", context="stand-alone", locale=_locale())
    return [names[d][:1].upper() + names[d][1:] for d in range(7)]


# --- choices in the reader's language ------------------------------------------------------


def country_choices() -> list[SelectChoice]:
    return list(_country_choices(str(_locale())))


@lru_cache(maxsize=8)
def _country_choices(locale: str) -> tuple[SelectChoice, ...]:
    names = Locale.parse(locale).territories
    rows = sorted(
        ((names.get(code, code), code) for code in client_service.countries()),
        key=lambda row: row[0].casefold(),
    )
    return tuple(SelectChoice(code, f"{name} ({code})") for name, code in rows)


def currency_choices() -> list[SelectChoice]:
    return list(_currency_choices(str(_locale())))


@lru_cache(maxsize=8)
def _currency_choices(locale: str) -> tuple[SelectChoice, ...]:
    return tuple(
        SelectChoice(code, f"{code} — {get_currency_name(code, locale=locale)}")
        for code in sorted(client_service.currencies())
    )


def time_zone_choices(current: str | None = None) -> list[SelectChoice]:
    """Every place's time zone as "Country — City (GMT+03:00)", by name; the client's current
    zone stays listed even when it is an alias the list leaves out."""
    today = datetime.now(UTC).date()  # the offsets shown are today's
    choices = list(_time_zone_choices(str(_locale()), today))
    listed = any(c.value == current for c in choices)
    if current and current in client_service.time_zones() and not listed:
        choices.insert(0, SelectChoice(current, current))
    return choices


@lru_cache(maxsize=8)
def _time_zone_choices(locale: str, today) -> tuple[SelectChoice, ...]:
    loc = Locale.parse(locale)
    noon = datetime(today.year, today.month, today.day, 12, tzinfo=UTC)
    rows = []
    for zone in client_service.usual_time_zones():
        offset = get_timezone_gmt(noon.astimezone(ZoneInfo(zone)), locale=loc)
        territory = client_service.territory_of(zone)
        if territory is None:
            label = f"{zone} ({offset})"
        else:
            city = get_timezone_location(zone, locale=loc, return_city=True)
            label = f"{loc.territories.get(territory, territory)} — {city} ({offset})"
        rows.append((territory is not None, label.casefold(), SelectChoice(zone, label)))
    return tuple(row[2] for row in sorted(rows, key=lambda row: row[:2]))


# --- one weekday of hours ------------------------------------------------------------------


def _clock(text: str | None, *, end: bool) -> str:
    """A typed time normalised to HH:MM; ValidationError when it is not one."""
    text = (text or "").strip()
    if not text:
        raise ValidationError(_l("Required when the day has hours."))
    try:
        return calling_hours.clock_text(calling_hours.parse_clock(text, end=end))
    except ValueError:
        raise ValidationError(
            _l("A time as HH:MM, from 00:00 to 24:00.") if end else HH_MM
        ) from None


class DayForm(Form):
    """One weekday: closed, from–to, or (calling hours only) round the clock. An end before the
    start runs past midnight (calling hours only)."""

    mode = SelectField(
        _l("Calls"),
        choices=[
            SelectChoice(CLOSED, _l("Closed")),
            SelectChoice(HOURS, _l("From – to")),
            SelectChoice(ALL_DAY, _l("Round the clock")),
        ],
        default=HOURS,
    )
    start = StringField(_l("From"), validators=[Length(max=10)])
    end = StringField(lazy_pgettext("time of day", "To"), validators=[Length(max=10)])

    past_midnight_allowed = True

    def validate_start(self, field):
        if self.mode.data == HOURS:
            field.data = _clock(field.data, end=False)

    def validate_end(self, field):
        """Runs after ``validate_start`` (fields validate in order): the start is normalised."""
        if self.mode.data != HOURS:
            return
        field.data = _clock(field.data, end=True)
        if self.start.errors:
            return
        start, end = self.start.data, field.data
        if start == end:
            raise ValidationError(
                _l("The same time twice: choose round the clock, or different times.")
            )
        if not self.past_midnight_allowed and end != "24:00" and end <= start:
            raise ValidationError(_l("Working hours end after they start (24:00 at the latest)."))

    def window(self) -> list[str] | None:
        if self.mode.data == ALL_DAY:
            return list(calling_hours.ROUND_THE_CLOCK)
        if self.mode.data == HOURS:
            return [self.start.data, self.end.data]
        return None

    @property
    def runs_past_midnight(self) -> bool:
        return (
            self.mode.data == HOURS
            and bool(self.start.data and self.end.data)
            and self.end.data != "24:00"
            and self.end.data < self.start.data
        )


class WorkingDayForm(DayForm):
    mode = SelectField(
        _l("Working"),
        choices=[SelectChoice(CLOSED, _l("Day off")), SelectChoice(HOURS, _l("From – to"))],
        default=HOURS,
    )
    past_midnight_allowed = False


def _week_data(week: dict) -> list[dict]:
    rows = []
    for weekday in range(7):
        span = week.get(str(weekday))
        if span is None:
            rows.append({"mode": CLOSED, "start": "", "end": ""})
        elif tuple(span) == calling_hours.ROUND_THE_CLOCK:
            rows.append({"mode": ALL_DAY, "start": "", "end": ""})
        else:
            rows.append({"mode": HOURS, "start": span[0], "end": span[1]})
    return rows


# --- a client -------------------------------------------------------------------------------


class ClientForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    key = StringField(
        _l("Key"),
        validators=[
            InputRequired(),
            Length(max=64),
            Regexp(client_service.KEY_PATTERN, message=KEY_MESSAGE),
        ],
    )
    country = SelectField(_l("Country"), choices=[])
    currency = SelectField(_l("Currency"), choices=[])
    timezone = SelectField(_l("Time zone"), choices=[])
    calling = FieldList(FormField(DayForm), min_entries=7, max_entries=7)
    sla_working_time_only = BooleanField(_l("Count complaint deadlines in working time only"))
    working = FieldList(FormField(WorkingDayForm), min_entries=7, max_entries=7)
    call_delay_days = IntegerField(
        _l("Follow-up delay (days)"),
        validators=[Optional(), NumberRange(0, client_service.MAX_DELAY_DAYS)],
        widget=NumberInput(min=0, max=client_service.MAX_DELAY_DAYS),
    )
    qc_contact_name = StringField(_l("QC contact: name"), validators=[Length(max=200)])
    qc_contact_email = EmailField(
        _l("QC contact: email"), validators=[Optional(), Email(), Length(max=254)]
    )
    qc_contact_phone = StringField(_l("QC contact: phone"), validators=[Length(max=40)])
    bonus_mechanic = StringField(_l("Mechanic"), validators=[Length(max=60)])
    bonus_shop_master = StringField(_l("Shop master"), validators=[Length(max=60)])
    submit = SubmitField(_l("Save"))

    def validate_bonus_mechanic(self, field) -> None:
        _tiers_field(field)

    def validate_bonus_shop_master(self, field) -> None:
        _tiers_field(field)

    def __init__(self, *args, current_zone: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = country_choices()
        self.currency.choices = currency_choices()
        self.timezone.choices = time_zone_choices(current_zone)
        days = weekday_names()
        for weekday, (calls, work) in enumerate(zip(self.calling, self.working, strict=True)):
            calls.form.mode.label.text = _l("%(day)s: calls", day=days[weekday])
            calls.form.start.label.text = _l("%(day)s: calls from", day=days[weekday])
            calls.form.end.label.text = _l("%(day)s: calls until", day=days[weekday])
            work.form.mode.label.text = _l("%(day)s: working", day=days[weekday])
            work.form.start.label.text = _l("%(day)s: working from", day=days[weekday])
            work.form.end.label.text = _l("%(day)s: working until", day=days[weekday])
        # Refusals of the whole week (services.clients): shown above its table.
        self.week_errors: dict[str, list] = {"calling_hours": [], "working_hours": []}

    def values(self) -> client_service.ClientValues:
        return client_service.ClientValues(
            key=self.key.data or "",
            name=self.name.data or "",
            country=self.country.data,
            currency=self.currency.data,
            timezone=self.timezone.data,
            calling_hours={str(d): day.form.window() for d, day in enumerate(self.calling)},
            sla_working_time_only=bool(self.sla_working_time_only.data),
            working_hours={str(d): day.form.window() for d, day in enumerate(self.working)},
            call_delay_days=self.call_delay_days.data,
            qc_contact_name=self.qc_contact_name.data,
            qc_contact_email=self.qc_contact_email.data,
            qc_contact_phone=self.qc_contact_phone.data,
            repeat_bonus_tiers={
                role: bonus.parse_tiers(field.data or "") or bonus.DEFAULT_TIERS[role]
                for role, field in (
                    ("mechanic", self.bonus_mechanic),
                    ("shop_master", self.bonus_shop_master),
                )
            },
        )

    def refuse(self, error: client_service.CatalogRefused) -> None:
        """Show a refusal of the service next to its field (or above the form)."""
        if error.field in self.week_errors:
            self.week_errors[error.field].append(error.message)
        else:
            show_refusal(self, error.message, error.field)


def _tiers_field(field) -> None:
    """Whole percents separated by commas; empty means the defaults."""
    try:
        bonus.parse_tiers(field.data or "")
    except ValueError:
        raise ValidationError(
            _l("Whole percents separated by commas, for 0, 1, 2… repeat repairs: e.g. 10, 5, 0.")
        ) from None


def tiers_text(tiers: list[int]) -> str:
    return ", ".join(str(t) for t in tiers)


def initial_data(client) -> dict:
    return {
        "bonus_mechanic": tiers_text(bonus.tiers_for("mechanic", client.repeat_bonus_tiers)),
        "bonus_shop_master": tiers_text(bonus.tiers_for("shop_master", client.repeat_bonus_tiers)),
        "name": client.name,
        "key": client.key,
        "country": client.country,
        "currency": client.currency,
        "timezone": client.timezone,
        "calling": _week_data(client_service.calling_week(client.calling_hours)),
        "sla_working_time_only": client.sla_working_time_only,
        "working": _week_data(client_service.working_week(client.working_hours)),
        "call_delay_days": client.call_delay_days,
        "qc_contact_name": client.qc_contact_name or "",
        "qc_contact_email": client.qc_contact_email or "",
        "qc_contact_phone": readable_phone(client.qc_contact_phone),
    }


def new_client_data() -> dict:
    """What a new client starts from: the model's defaults (calls 09:00–20:00 every day,
    working hours Monday to Friday 09:00–18:00)."""
    return {
        "bonus_mechanic": tiers_text(bonus.DEFAULT_TIERS["mechanic"]),
        "bonus_shop_master": tiers_text(bonus.DEFAULT_TIERS["shop_master"]),
        "country": "RU",
        "currency": "RUB",
        "timezone": "Europe/Moscow",
        "calling": _week_data({str(d): ["09:00", "20:00"] for d in range(7)}),
        "working": _week_data(client_service.working_week(DEFAULT_WORKING_HOURS)),
    }


class HolidayForm(FlaskForm):
    day = DateField(_l("Date"), validators=[InputRequired(message=_l("Choose a date."))])
    name = StringField(_l("Name (optional)"), validators=[Length(max=120)])
    submit = SubmitField(_l("Add holiday"))


class CancelCallsForm(FlaskForm):
    confirm = BooleanField(
        _l("Yes, cancel them: these customers will not be called."),
        validators=[DataRequired(message=_l("Tick to confirm."))],
    )
    submit = SubmitField(_l("Cancel pending calls"))


# --- a work type ----------------------------------------------------------------------------


class WorkTypeForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    key = StringField(
        _l("Key"),
        validators=[
            InputRequired(),
            Length(max=64),
            Regexp(client_service.KEY_PATTERN, message=KEY_MESSAGE),
        ],
    )
    call_delay_days = IntegerField(
        _l("Follow-up delay (days)"),
        validators=[Optional(), NumberRange(0, client_service.MAX_DELAY_DAYS)],
        widget=NumberInput(min=0, max=client_service.MAX_DELAY_DAYS),
    )
    sample_percent = IntegerField(
        _l("Share of orders called (%)"),
        default=100,
        validators=[
            InputRequired(message=_l("A percentage from 0 to 100.")),
            NumberRange(0, 100, message=_l("A percentage from 0 to 100.")),
        ],
        widget=NumberInput(min=0, max=100),
    )
    submit = SubmitField(_l("Save"))

    def values(self) -> client_service.WorkTypeValues:
        return client_service.WorkTypeValues(
            key=self.key.data or "",
            name=self.name.data or "",
            call_delay_days=self.call_delay_days.data,
            sample_percent=self.sample_percent.data,
        )

    def refuse(self, error: client_service.CatalogRefused) -> None:
        show_refusal(self, error.message, error.field)
