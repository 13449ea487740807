"""Which column is which field (services/orders/columns.py): guessed from English and Russian
headers, remembered per client and per layout."""

from __future__ import annotations

from console.extensions import db
from console.services.orders import columns


def test_russian_and_english_headers_are_guessed():
    headers = [
        "№ заказа",
        "Дата закрытия",
        "Клиент",
        "Телефон клиента",
        "Сумма, руб.",
        "Вид работ",
        "Госномер",
        "Мастер",
        "Комментарий менеджера",
        "E-mail",
    ]
    assert columns.guess(headers) == [
        "external_id",
        "completed_at",
        "customer_name",  # in a shop's export, "Клиент" is the customer
        "phone",
        "amount",
        "work_type",
        "vehicle_plate",
        "technician",
        None,
        "customer_email",
    ]
    assert columns.guess(["Phone", "Order number", "Completed", "Total", "VIN", "Odometer"]) == [
        "phone",
        "external_id",
        "completed_at",
        "amount",
        "vehicle_vin",
        "vehicle_mileage_km",
    ]


def test_a_field_goes_to_one_column_only():
    assert columns.guess(["Телефон", "Телефон мобильный", "Дата", "Дата создания"]) == [
        "phone",
        None,
        "completed_at",
        None,
    ]


def test_a_clients_choice_is_used_again_for_its_layout_and_its_headers(app, garage):
    headers = ["Документ", "Контрагент", "Тел.", "Закрыт", "Итого", "Примечание"]
    chosen = ["external_id", "customer_name", "phone", "completed_at", "amount", "description"]
    columns.remember(garage, headers, chosen)
    db.session.commit()
    assert columns.suggest(garage, headers) == chosen
    # Another layout of the same shop: its headers are known one by one.
    assert columns.suggest(garage, ["Примечание", "Тел.", "Новый столбец"]) == [
        "description",
        "phone",
        None,
    ]
    # Another client, or a file naming its clients, gets the plain guess.
    assert columns.suggest(None, headers)[5] is None


def test_a_column_the_client_chose_not_to_read_stays_unread(app, garage):
    columns.remember(garage, ["Телефон", "Телефон 2"], ["phone", None])
    db.session.commit()
    assert columns.suggest(garage, ["Телефон 2", "Телефон", "Сумма"]) == [None, "phone", "amount"]


def test_what_a_mapping_lacks_is_said():
    problems = [str(p) for p in columns.check(["phone", "phone"], client_chosen=False)]
    assert "Choose the client of this file, or the column that names it." in problems
    assert "No column is Order number." in problems
    assert "Phone is chosen for more than one column." in problems
    full = ["external_id", "phone", "work_type", "completed_at", "amount"]
    assert columns.check(full, client_chosen=True) == []
