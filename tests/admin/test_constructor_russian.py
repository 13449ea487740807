"""The constructor in Russian: what the publish page lists as changed and what the script checker
says are in the reader's language (they were English only), escaped, while ``flask scripts
load`` and the audit log keep English."""

from __future__ import annotations

from sqlalchemy import select

from console.models import AuditEntry
from tests.admin import test_constructor as constructor
from tests.admin.test_constructor import add_question, question, save_card, text_of

admin = constructor.admin  # the fixtures these tests share with the constructor's
new_script = constructor.new_script


def test_the_publish_page_lists_the_changes_in_russian(client, db, admin, new_script):
    admin.locale = "ru"
    db.session.commit()
    script = new_script()
    add_question(client, script)
    first = text_of(client.get(f"/admin/scripts/{script.id}/publish"))
    assert "Первая версия: 2 вопроса." in first
    client.post(f"/admin/scripts/{script.id}/publish", data={"note": ""})
    client.get(f"/admin/scripts/{script.id}")  # the editor starts the next draft

    q1 = question(script, "q1")
    save_card(client, script, q1, text="Переформулировано", weight="2.5", required="y")
    save_card(
        client,
        script,
        question(script, "q1"),
        **{f"{q1.options[-1].key}__complaint_category": "price"},
    )
    add_question(client, script, "yesno")
    page = text_of(client.get(f"/admin/scripts/{script.id}/publish"))
    assert "Добавлен вопрос &#39;q2&#39;." in page
    assert "Вопрос &#39;q1&#39;: изменено поле «текст»." in page
    assert "Вопрос &#39;q1&#39;: вес 1 → 2,5." in page
    assert "Вопрос &#39;q1&#39;: обязательное поле нет → да." in page
    assert "Вопрос &#39;q1&#39;, ответ &#39;bad&#39;: жалоба — → цена." in page
    assert "changed" not in page and "Question" not in page

    client.post(f"/admin/scripts/{script.id}/publish", data={"note": ""})
    entry = db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.action == "script.published")
        .order_by(AuditEntry.id.desc())
    ).first()
    assert "Question 'q2' added." in entry.details["changes"]  # the log keeps one language


def test_the_checker_speaks_russian_beside_the_field_and_on_the_publish_page(
    client, db, admin, new_script
):
    admin.locale = "ru"
    db.session.commit()
    script = new_script()
    add_question(client, script)
    card = text_of(save_card(client, script, question(script, "q1"), text="Привет, {nobody}"))
    assert "неизвестная подстановка {nobody}; известные: {customer.name}" in card
    add_question(client, script, "text")
    card = text_of(save_card(client, script, question(script, "q2"), show_if_question="q1"))
    assert "в условии показа нужен хотя бы один ответ предыдущего вопроса" in card
    page = text_of(client.get(f"/admin/scripts/{script.id}/publish"))
    # (The shape comes first: the placeholder is checked once "shown if" is complete.)
    assert "Вопрос 2 (q2): в условии показа нужен хотя бы один ответ предыдущего вопроса" in page
    assert "show_if" not in page
