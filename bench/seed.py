"""Fill a fresh database with N tickets (three messages each) through bulk paths and print JSON timings.

    .venv/bin/python bench/seed.py 1000000 [--accounts 25000] [--data-dir .bench-data/seed]

SQLite in the data dir by default; PostgreSQL when DATABASE_URL names it (that database is dropped and
created again through the `postgres` maintenance database). The data is deterministic for a given N and
account count (times are relative to the moment of the run). Ticket numbers are reserved from the real
counter, so later `ticket_create` calls continue the sequence.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from bisect import bisect
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from pathlib import Path
from random import Random
from typing import Any

# How many tickets are generated and written per transaction: big enough that per-statement costs vanish,
# small enough that a batch of rows (four per ticket) stays a few hundred MB at most.
BATCH = 50_000
SPAN_DAYS = 730
SEED = 42

# (language, country, time zone, Faker locale, message language, weight)
LOCALES: list[tuple[str, str, str, str, str, int]] = [
    ("en", "US", "America/New_York", "en_US", "en", 20),
    ("en", "US", "America/Los_Angeles", "en_US", "en", 8),
    ("en", "GB", "Europe/London", "en_GB", "en", 14),
    ("en", "AU", "Australia/Sydney", "en_AU", "en", 4),
    ("en", "IN", "Asia/Kolkata", "en_IN", "en", 4),
    ("fr", "FR", "Europe/Paris", "fr_FR", "fr", 12),
    ("fr-CA", "CA", "America/Toronto", "fr_CA", "fr", 3),
    ("de", "DE", "Europe/Berlin", "de_DE", "de", 10),
    ("es", "ES", "Europe/Madrid", "es_ES", "es", 7),
    ("es-MX", "MX", "America/Mexico_City", "es_MX", "es", 5),
    ("pt-BR", "BR", "America/Sao_Paulo", "pt_BR", "pt", 6),
    ("nl", "NL", "Europe/Amsterdam", "nl_NL", "en", 4),
    ("ja", "JP", "Asia/Tokyo", "ja_JP", "en", 3),
]

SEGMENTS = ["retail", "smb", "mid-market", "enterprise", "public-sector", "non-profit", "education", ""]
CUSTOMER_STAGES = [("prospect", 4), ("new", 30), ("repeat", 45), ("at_risk", 12), ("churned", 9)]
CLIENT_STAGES = [("client", 85), ("at_risk", 12), ("churned", 3)]
ACCOUNT_TAGS = ["vip", "enterprise", "partner", "newsletter", "reseller"]
TICKET_TAGS = [
    "billing",
    "refund",
    "shipping",
    "delivery-delay",
    "login",
    "password-reset",
    "bug",
    "feature-request",
    "cancellation",
    "invoice",
    "complaint",
    "onboarding",
    "integration",
    "data-export",
    "vip",
]
CHANNELS = [("email", 45), ("portal", 18), ("chat", 17), ("phone", 12), ("social", 5), ("api", 3)]
PRIORITIES = [("low", 20), ("normal", 55), ("high", 18), ("urgent", 7)]
TIERS = [(0, 5), (1, 60), (2, 25), (3, 10)]
# Status weights by the ticket's age: old tickets are mostly closed, today's mostly new or open.
STATUS_BY_AGE: list[tuple[float, list[tuple[str, int]]]] = [
    (2, [("new", 18), ("open", 42), ("pending", 18), ("on_hold", 8), ("solved", 14)]),
    (7, [("new", 3), ("open", 25), ("pending", 15), ("on_hold", 7), ("solved", 40), ("closed", 10)]),
    (30, [("open", 4), ("pending", 3), ("on_hold", 3), ("solved", 5), ("closed", 85)]),
    (SPAN_DAYS + 1, [("open", 1), ("pending", 1), ("on_hold", 1), ("closed", 97)]),
]

# Message texts by language: (subject, requester's first message, staff reply, requester's answer, internal note).
TEXTS: dict[str, list[tuple[str, str, str, str, str]]] = {
    "en": [
        (
            "Order {order} has not arrived",
            "Hello,\n\nI ordered the {product} on {day} (order {order}) and it still has not arrived. "
            "The tracking page has not changed for five days. Can you tell me where it is?\n\nThanks,\n{name}",
            "Hi {name},\n\nSorry for the wait. The carrier lost the scan for order {order}; I have opened an "
            "inquiry with them and will send you a replacement if it is not found by Friday.\n\nBest,\n{agent}",
            "Thanks {agent}, that works for me. Please keep me posted.",
            "Carrier inquiry opened for {order}; replacement approved if still missing on Friday.",
        ),
        (
            "Charged twice for the {product}",
            "Hi,\n\nMy card was charged twice for the {product} (order {order}). "
            "Please refund the duplicate.\n\n{name}",
            "Hello {name},\n\nYou are right, the payment went through twice. I have refunded the duplicate "
            "charge; it will show on your statement within 3 to 5 business days.\n\nKind regards,\n{agent}",
            "I can see the refund pending now. Thank you!",
            "Duplicate capture from the payment gateway retry; refund issued.",
        ),
        (
            "Cannot log in to my account",
            "Hello, since this morning I cannot log in: the page says my password is wrong, but the reset email "
            "never arrives. Could you help? {name}",
            "Hi {name}, the reset emails to your address were bouncing because of an old typo in your profile. "
            "I fixed it and sent a new link; it is valid for one hour.\n\n{agent}",
            "Got it and I am back in, thanks.",
            "Email on file had a typo (bounce log). Corrected after verifying identity by phone.",
        ),
        (
            "Question about invoice {invoice}",
            "Good afternoon,\n\nInvoice {invoice} shows VAT although our company is VAT-registered in the EU. "
            "Can you issue a corrected invoice?\n\nRegards,\n{name}",
            "Hello {name},\n\nThank you for pointing this out. I have added your VAT number to the account and "
            "attached a corrected invoice. Future invoices will use reverse charge.\n\n{agent}",
            "Perfect, our accountant confirmed it is correct now.",
            "VAT number validated in VIES before changing the tax profile.",
        ),
        (
            "My {product} stopped working after the update",
            "Hi team,\n\nAfter yesterday's update my {product} crashes when I open the settings page. I tried a "
            "restart and a reinstall. Steps: open the app, tap Settings, it closes.\n\n{name}",
            "Hi {name},\n\nThanks for the clear steps: we reproduced it and a fix ships in version 4.2.1 this "
            "week. Until then, clearing the app cache avoids the crash.\n\n{agent}",
            "Clearing the cache worked. I will update when 4.2.1 is out.",
            "Known crash in 4.2.0 settings screen, engineering ticket linked; workaround given.",
        ),
        (
            "How do I export my data?",
            "Hello, we are preparing an audit and need an export of all our orders since January. Is there a "
            "way to get a CSV? Thanks, {name}",
            "Hi {name},\n\nYes: under Reports > Orders choose the date range and click Export CSV. For more than "
            "a year of data the file is emailed to you when ready.\n\n{agent}",
            "Found it, the export arrived. Thank you.",
            "Customer may ask for a custom field in the export later; flagged to the product team.",
        ),
        (
            "Please cancel my subscription",
            "Hi,\n\nPlease cancel my subscription at the end of this billing period. The price increase does "
            "not fit our budget.\n\n{name}",
            "Hello {name},\n\nI am sorry to see you go. Before I cancel: we can keep your current price for "
            "twelve more months if you switch to annual billing. Shall I do that instead?\n\n{agent}",
            "That is a fair offer, let's switch to annual billing.",
            "Retention offer made (price lock, annual). Account at risk; advisor informed.",
        ),
        (
            "Damaged item in order {order}",
            "Hello,\n\nThe {product} in order {order} arrived with a cracked case. I attached photos. "
            "What are my options?\n\n{name}",
            "Hi {name},\n\nThank you for the photos. A new {product} is on its way at no cost; you do not need "
            "to return the damaged one.\n\nBest regards,\n{agent}",
            "Very kind, thank you for the quick help.",
            "Damage claim filed with the warehouse, batch {order}.",
        ),
    ],
    "fr": [
        (
            "Commande {order} non reçue",
            "Bonjour,\n\nJ'ai commandé un {product} le {day} (commande {order}) et je ne l'ai toujours pas reçu. "
            "Pouvez-vous vérifier ?\n\nMerci,\n{name}",
            "Bonjour {name},\n\nToutes nos excuses pour ce retard. Le transporteur a égaré le colis {order} ; "
            "je vous envoie un remplacement dès aujourd'hui.\n\nCordialement,\n{agent}",
            "Merci beaucoup, c'est parfait.",
            "Colis perdu chez le transporteur, remplacement envoyé.",
        ),
        (
            "Double prélèvement pour mon {product}",
            "Bonjour, ma carte a été débitée deux fois pour la commande {order}. Merci de rembourser le doublon. "
            "{name}",
            "Bonjour {name},\n\nVous avez raison. Le doublon est remboursé ; comptez 3 à 5 jours ouvrés.\n\n{agent}",
            "Je vois le remboursement, merci !",
            "Doublon dû à une relance de la passerelle de paiement.",
        ),
        (
            "Impossible de me connecter",
            "Bonjour, je n'arrive plus à me connecter et l'email de réinitialisation n'arrive pas. {name}",
            "Bonjour {name}, votre adresse contenait une faute de frappe. Je l'ai corrigée et vous ai envoyé un "
            "nouveau lien.\n\n{agent}",
            "C'est bon, merci.",
            "Adresse corrigée après vérification d'identité.",
        ),
        (
            "Question sur la facture {invoice}",
            "Bonjour,\n\nLa facture {invoice} comporte la TVA alors que nous sommes assujettis intracommunautaires. "
            "Pouvez-vous la corriger ?\n\n{name}",
            "Bonjour {name},\n\nC'est corrigé : la facture rectifiée est jointe et les prochaines appliqueront "
            "l'autoliquidation.\n\n{agent}",
            "Parfait, merci pour la rapidité.",
            "Numéro de TVA vérifié dans VIES.",
        ),
    ],
    "de": [
        (
            "Bestellung {order} nicht angekommen",
            "Hallo,\n\nich habe am {day} {product} bestellt (Bestellung {order}), aber noch nichts erhalten. "
            "Können Sie nachsehen?\n\nViele Grüße\n{name}",
            "Hallo {name},\n\nentschuldigen Sie die Verzögerung. Das Paket {order} ist beim Versanddienst "
            "verloren gegangen; Ersatz ist unterwegs.\n\nBeste Grüße\n{agent}",
            "Vielen Dank für die schnelle Hilfe!",
            "Paket verloren, Ersatz verschickt.",
        ),
        (
            "Doppelte Abbuchung für {product}",
            "Guten Tag, meine Karte wurde für Bestellung {order} zweimal belastet. Bitte erstatten Sie den "
            "doppelten Betrag. {name}",
            "Guten Tag {name},\n\ndie doppelte Zahlung wurde erstattet und erscheint in 3 bis 5 Werktagen auf "
            "Ihrem Konto.\n\n{agent}",
            "Danke, ich sehe die Gutschrift.",
            "Doppelte Buchung durch Gateway-Wiederholung.",
        ),
        (
            "{product} funktioniert nach dem Update nicht mehr",
            "Hallo,\n\nseit dem gestrigen Update stürzt {product} beim Öffnen der Einstellungen ab.\n\n{name}",
            "Hallo {name},\n\nwir konnten den Fehler nachstellen; die Korrektur kommt mit Version 4.2.1. Bis dahin "
            "hilft es, den App-Cache zu leeren.\n\n{agent}",
            "Cache leeren hat geholfen, danke.",
            "Bekannter Absturz in 4.2.0, Workaround mitgeteilt.",
        ),
    ],
    "es": [
        (
            "El pedido {order} no ha llegado",
            "Hola,\n\nPedí {product} el {day} (pedido {order}) y todavía no ha llegado. ¿Pueden revisarlo?\n\n{name}",
            "Hola {name},\n\nDisculpe la demora. La empresa de transporte perdió el paquete {order}; le enviamos "
            "uno nuevo hoy mismo.\n\nSaludos,\n{agent}",
            "Muchas gracias por la rapidez.",
            "Paquete perdido, reemplazo enviado.",
        ),
        (
            "Cobro duplicado de {product}",
            "Hola, me cobraron dos veces el pedido {order}. Por favor, devuelvan el cargo duplicado. {name}",
            "Hola {name},\n\nTiene razón; hemos devuelto el cargo duplicado, lo verá en 3 a 5 días hábiles.\n\n{agent}",
            "Ya aparece el reembolso, gracias.",
            "Cobro duplicado por reintento de la pasarela.",
        ),
        (
            "Quiero cancelar mi suscripción",
            "Hola, quiero cancelar la suscripción al final del periodo actual. {name}",
            "Hola {name},\n\nLamento que se vaya. Podemos mantener su precio actual doce meses más con "
            "facturación anual. ¿Le interesa?\n\n{agent}",
            "De acuerdo, cambiemos a facturación anual.",
            "Oferta de retención aceptada.",
        ),
    ],
    "pt": [
        (
            "Pedido {order} não chegou",
            "Olá,\n\nComprei {product} em {day} (pedido {order}) e ainda não recebi. Podem verificar?\n\n{name}",
            "Olá {name},\n\nDesculpe a demora. A transportadora extraviou o pacote {order}; enviamos outro hoje."
            "\n\nAtenciosamente,\n{agent}",
            "Obrigado pela ajuda rápida!",
            "Pacote extraviado, reenvio aprovado.",
        ),
        (
            "Não consigo entrar na minha conta",
            "Olá, não consigo entrar e o email de redefinição de senha não chega. {name}",
            "Olá {name}, seu email tinha um erro de digitação. Corrigi e enviei um novo link.\n\n{agent}",
            "Funcionou, obrigado.",
            "Email corrigido após verificação de identidade.",
        ),
    ],
}
# Model names read the same in every language the texts use.
PRODUCTS = ["X200", "Aurora L1", "Nimbus R2", "Orbit P3", "Vega K7", "Terra F1", "Atlas 30", "Helio S"]
VARIANTS_PER_TEXT = 40


def configure(*, data_dir: Path, database_url: str | None) -> None:
    """Point Carefront at the benchmark's data dir and database, then start Django."""
    os.environ["CAREFRONT_DATA_DIR"] = str(data_dir)
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carefront.settings")
    import django

    django.setup()


def _pg_connect(dbname: str | None = None) -> Any:
    """A new psycopg connection (autocommit) to the configured server: its database, or another one."""
    import psycopg
    from django.db import connection

    settings_dict = connection.settings_dict
    params: dict[str, Any] = {
        "dbname": dbname or settings_dict["NAME"],
        "user": settings_dict.get("USER") or None,
        "password": settings_dict.get("PASSWORD") or None,
        "host": settings_dict.get("HOST") or None,
        "port": settings_dict.get("PORT") or None,
    }
    return psycopg.connect(**{k: v for k, v in params.items() if v is not None}, autocommit=True)


def _maintenance(statement: Any) -> None:
    """Run a statement on the PostgreSQL server's `postgres` database, outside any transaction."""
    with _pg_connect("postgres") as maintenance:
        maintenance.execute(statement)


def database_drop() -> None:
    """Delete the configured database: the SQLite file and its journals, or DROP DATABASE."""
    from django.db import connection
    from psycopg import sql

    connection.close()
    if connection.vendor == "sqlite":
        path = Path(connection.settings_dict["NAME"])
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    elif connection.vendor == "postgresql":
        name = sql.Identifier(connection.settings_dict["NAME"])
        _maintenance(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
    else:
        raise SystemExit(f"unsupported database vendor {connection.vendor}")


def database_recreate() -> None:
    """Drop the configured database and create it empty (a fresh SQLite file, or a new PostgreSQL database)."""
    from django.db import connection
    from psycopg import sql

    database_drop()
    if connection.vendor == "postgresql":
        _maintenance(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(connection.settings_dict["NAME"])))


def _weighted(pairs: Sequence[tuple[Any, int]]) -> tuple[list[Any], list[int]]:
    values = [value for value, _ in pairs]
    return values, list(accumulate(weight for _, weight in pairs))


def _pick(rng: Random, values: list[Any], cumulative: list[int]) -> Any:
    return values[bisect(cumulative, rng.random() * cumulative[-1])]


class Loader:
    """Writes rows fast: executemany on SQLite, COPY on PostgreSQL, always with explicit ids."""

    def __init__(self) -> None:
        from django.db import connection

        connection.ensure_connection()
        self.connection = connection
        self.raw: Any = connection.connection
        self.vendor = connection.vendor
        self.rows = 0

    def timestamp(self) -> Callable[[float], Any]:
        """A converter from epoch seconds to what this backend stores for a DateTimeField."""
        if self.vendor == "sqlite":
            # Django keeps naive UTC text on SQLite ("YYYY-MM-DD HH:MM:SS.ffffff").
            epoch = datetime(1970, 1, 1)
            return lambda seconds: str(epoch + timedelta(seconds=seconds))
        return lambda seconds: datetime.fromtimestamp(seconds, UTC)

    def _defaults(self, table: str, columns: Sequence[str]) -> tuple[list[str], tuple[Any, ...]]:
        """The table's other columns that need a value (NOT NULL or with a default), with Django's default for it.

        Raw inserts skip Django's defaults; this keeps the load working when a migration adds a column.
        """
        model = next(model for model in _bulk_models() if model._meta.db_table == table)
        names: list[str] = []
        values: list[Any] = []
        for field in model._meta.concrete_fields:
            if field.column in columns or field.primary_key or (field.null and not field.has_default()):
                continue
            names.append(field.column)
            values.append(field.get_db_prep_save(field.get_default(), self.connection))
        return names, tuple(values)

    def insert(self, table: str, columns: Sequence[str], rows: Iterable[tuple[Any, ...]]) -> int:
        extra_columns, extra_values = self._defaults(table, columns)
        if extra_values:
            rows = (row + extra_values for row in rows)
        names = ", ".join(f'"{column}"' for column in [*columns, *extra_columns])
        count = 0
        if self.vendor == "sqlite":
            marks = ", ".join("?" for _ in [*columns, *extra_columns])
            rows = list(rows)
            # Table and column names are this module's constants and the models' own, never input.
            self.raw.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', rows)  # noqa: S608
            count = len(rows)
        else:
            with self.raw.cursor() as cursor, cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
        self.rows += count
        return count

    def secondary_indexes(self, tables: Sequence[str]) -> list[tuple[str, str]]:
        """(name, CREATE statement) of the plain indexes on these tables, not those behind constraints."""
        with self.connection.cursor() as cursor:
            if self.vendor == "sqlite":
                marks = ", ".join("%s" for _ in tables)
                cursor.execute(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "  # noqa: S608
                    f"AND sql NOT LIKE 'CREATE UNIQUE%%' AND tbl_name IN ({marks})",
                    list(tables),
                )
            else:
                cursor.execute(
                    "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
                    "AND tablename = ANY(%s) AND indexdef NOT LIKE 'CREATE UNIQUE%%'",
                    [list(tables)],
                )
            return [(str(name), str(statement)) for name, statement in cursor.fetchall()]

    def execute(self, statement: str) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute(statement)

    @contextmanager
    def fact_marks_paused(self, tables: Sequence[str]) -> Iterator[None]:
        """Load the tables without the triggers that mark the ticket facts' days (insights migration 0004): one
        trigger call a row, with the secondary indexes dropped, would scan a ticket's messages for each message.
        The days that hold rows are marked once afterwards, as the migration marks existing rows."""

        with self.connection.cursor() as cursor:
            if self.vendor == "sqlite":
                marks = ", ".join("%s" for _ in tables)
                cursor.execute(
                    "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger' "  # noqa: S608
                    f"AND name LIKE 'carefront_fact_%%' AND tbl_name IN ({marks})",
                    list(tables),
                )
            else:
                cursor.execute(
                    "SELECT t.tgname, c.relname, '' FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                    "WHERE t.tgname LIKE 'carefront_fact_%%' AND c.relname = ANY(%s)",
                    [list(tables)],
                )
            triggers = [(str(name), str(table), str(sql)) for name, table, sql in cursor.fetchall()]
            for name, table, _sql in triggers:
                if self.vendor == "sqlite":
                    cursor.execute(f'DROP TRIGGER "{name}"')
                else:
                    cursor.execute(f'ALTER TABLE "{table}" DISABLE TRIGGER "{name}"')
        try:
            yield
        finally:
            with self.connection.cursor() as cursor:
                for name, table, sql in triggers:
                    if self.vendor == "sqlite":
                        cursor.execute(sql)
                    else:
                        cursor.execute(f'ALTER TABLE "{table}" ENABLE TRIGGER "{name}"')
        from carefront.insights.fact_triggers import fact_marks_backfill

        day = "substr({}, 1, 10)" if self.vendor == "sqlite" else "({} AT TIME ZONE 'UTC')::date"
        with self.connection.cursor() as cursor:
            # The migrations' marks of every day that holds rows (they also drop stored facts, stale after a load).
            for statement in fact_marks_backfill(day):
                cursor.execute(statement)

    def create_indexes(self, statements: Sequence[str]) -> None:
        """Build the indexes: one after the other on SQLite (one writer), two at a time on PostgreSQL."""
        if self.vendor == "sqlite":
            for statement in statements:
                self.execute(statement)
            return
        from concurrent.futures import ThreadPoolExecutor

        # The message indexes (full-text GIN over three million bodies) take longest: start them first.
        pending = sorted(
            statements,
            key=lambda statement: ("desk_message" not in statement.replace('"', ""), "USING gin" not in statement),
        )

        def build(statement: str) -> None:
            with _pg_connect() as pg:
                # More memory for the sort and the GIN build, for this session only.
                pg.execute("SET maintenance_work_mem = '512MB'")
                pg.execute(statement)

        with ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(build, pending))


class Seeder:
    """Generates the accounts, contacts, tickets and messages; one instance per run."""

    def __init__(self, *, tickets: int, accounts: int, loader: Loader) -> None:
        from faker import Faker

        self.tickets = tickets
        self.accounts = accounts
        self.loader = loader
        self.rng = Random(SEED)
        self.fake = Faker(sorted({locale[3] for locale in LOCALES}))
        self.fake.seed_instance(SEED)
        self.ts = loader.timestamp()
        self.now = time.time()
        self.start = self.now - SPAN_DAYS * 86400
        self.counts: dict[str, int] = {}
        self.started = time.monotonic()

    # Staff, teams, tags: a few rows through the real services.
    def staff(self) -> None:
        from django.contrib.auth import get_user_model

        from carefront.core.models import Role, Team
        from carefront.core.services import staff_create, tags_get_or_create

        teams = {
            name: Team.objects.create(name=name, description=description)
            for name, description in [
                ("Front line", "L1: answers customers fast"),
                ("Specialists", "L2: problem solving"),
                ("Technical", "L3: engineering issues"),
                ("Advisors", "Client relationships"),
            ]
        }
        self.admin = staff_create(username="bench-admin", email="admin@bench.example", role=Role.ADMIN)
        for index in range(2):
            staff_create(username=f"manager{index + 1}", email=f"manager{index + 1}@bench.example", role=Role.MANAGER)
        self.team_members: dict[int, list[int]] = {}
        plan = [
            ("Front line", "agent", 16),
            ("Specialists", "spec", 6),
            ("Technical", "tech", 4),
            ("Advisors", "advisor", 8),
        ]
        for team_name, prefix, count in plan:
            team = teams[team_name]
            members = []
            for index in range(count):
                locale = LOCALES[index % len(LOCALES)]
                first, last = self.fake[locale[3]].first_name(), self.fake[locale[3]].last_name()
                user = staff_create(
                    username=f"{prefix}{index + 1}",
                    email=f"{prefix}{index + 1}@bench.example",
                    role=Role.ADVISOR if prefix == "advisor" else Role.AGENT,
                    first_name=first,
                    last_name=last,
                    time_zone=locale[2],
                    languages=sorted({"en", locale[4]}),
                    teams=[team],
                )
                members.append(user.pk)
            self.team_members[team.pk] = members
        self.team_ids = {name: team.pk for name, team in teams.items()}
        self.advisors = self.team_members[self.team_ids["Advisors"]]
        self.agent_names = dict(get_user_model().objects.values_list("pk", "first_name"))
        self.account_tag_ids = [tag.pk for tag in tags_get_or_create(names=sorted(ACCOUNT_TAGS))]
        self.ticket_tag_ids = [tag.pk for tag in tags_get_or_create(names=sorted(set(TICKET_TAGS)))]

    def accounts_and_contacts(self) -> None:
        rng, ts = self.rng, self.ts
        locale_values, locale_cum = _weighted([(locale, locale[5]) for locale in LOCALES])
        customer_stages, customer_cum = _weighted(CUSTOMER_STAGES)
        client_stages, client_cum = _weighted(CLIENT_STAGES)
        channels, channel_cum = _weighted(CHANNELS)
        account_rows: list[tuple[Any, ...]] = []
        contact_rows: list[tuple[Any, ...]] = []
        tag_rows: list[tuple[int, int, int]] = []
        # Contact ids with how often each writes in: a few accounts write a lot, most rarely.
        self.contact_ids: list[int] = []
        contact_weights: list[float] = []
        self.contact_account: list[int] = [0]
        self.contact_language: list[str] = [""]
        self.contact_name: list[str] = [""]
        self.account_model: list[str] = [""]
        self.account_country: list[str] = [""]
        self.account_owner: list[int | None] = [None]
        paying_clients: list[int] = []
        contact_id = 0
        for account_id in range(1, self.accounts + 1):
            locale = _pick(rng, locale_values, locale_cum)
            fake = self.fake[locale[3]]
            is_client = rng.random() < 0.08
            organisation = rng.random() < (0.8 if is_client else 0.3)
            created = self.start - rng.random() * 365 * 86400
            name = fake.company() if organisation else fake.name()
            owner = rng.choice(self.advisors) if is_client else None
            served_for = None
            if not is_client and paying_clients and rng.random() < 0.03:
                # An end-customer whose service a client pays for.
                served_for = rng.choice(paying_clients)
            if is_client and organisation:
                paying_clients.append(account_id)
            stage = _pick(rng, client_stages, client_cum) if is_client else _pick(rng, customer_stages, customer_cum)
            segment = rng.choice(SEGMENTS[2:5]) if organisation else rng.choice(SEGMENTS[:2])
            account_rows.append(
                (
                    account_id,
                    name[:200],
                    "organisation" if organisation else "person",
                    "client" if is_client else "customer",
                    stage,
                    owner,
                    locale[0],
                    locale[2],
                    locale[1],
                    segment,
                    served_for,
                    f"ACC-{account_id:07d}",
                    "{}",
                    1,
                    ts(created),
                    ts(created + rng.random() * 300 * 86400),
                )
            )
            self.account_country.append(locale[1])
            self.account_model.append("client" if is_client else "customer")
            self.account_owner.append(owner)
            if rng.random() < 0.12:
                for tag_id in rng.sample(self.account_tag_ids, rng.randint(1, 2)):
                    tag_rows.append((len(tag_rows) + 1, account_id, tag_id))
            activity = rng.paretovariate(1.2) * (4 if is_client else 1) * (3 if organisation else 1)
            domain = (
                f"{fake.domain_word()}-{account_id}.example"
                if organisation
                else rng.choice(["mail.example", "inbox.example", "post.example"])
            )
            for position in range(rng.randint(2, 6) if organisation else (2 if rng.random() < 0.1 else 1)):
                contact_id += 1
                # A person's first contact is the person; a second one is a partner or an assistant.
                person = name if not organisation and position == 0 else fake.name()
                local = "".join(ch for ch in person.lower() if ch.isascii() and ch.isalnum())[:20] or "contact"
                phone = ""
                if rng.random() < 0.6:
                    phone = (
                        f"+{rng.choice(['1', '33', '44', '49', '34', '55', '31', '81'])}{rng.randint(10**8, 10**9 - 1)}"
                    )
                contact_rows.append(
                    (
                        contact_id,
                        account_id,
                        person[:200],
                        f"{local}.{contact_id}@{domain}",
                        phone,
                        locale[0],
                        _pick(rng, channels, channel_cum),
                        f"CON-{contact_id:07d}",
                        1,
                        ts(created),
                        ts(created),
                    )
                )
                self.contact_ids.append(contact_id)
                contact_weights.append(activity)
                self.contact_account.append(account_id)
                self.contact_language.append(locale[4])
                self.contact_name.append(person.split(" ")[0])
        self.contact_cum = list(accumulate(contact_weights))
        self.loader.insert(
            "accounts_account",
            [
                "id",
                "name",
                "kind",
                "service_model",
                "lifecycle_stage",
                "owner_id",
                "locale",
                "time_zone",
                "country",
                "segment",
                "served_for_id",
                "external_id",
                "custom_fields",
                "version",
                "created_at",
                "updated_at",
            ],
            account_rows,
        )
        self.loader.insert(
            "accounts_contact",
            [
                "id",
                "account_id",
                "name",
                "email",
                "phone",
                "language",
                "preferred_channel",
                "external_id",
                "version",
                "created_at",
                "updated_at",
            ],
            contact_rows,
        )
        self.loader.insert("accounts_account_tags", ["id", "account_id", "tag_id"], tag_rows)
        self.counts.update(accounts=len(account_rows), contacts=len(contact_rows), account_tags=len(tag_rows))

    def _texts(self) -> dict[str, list[tuple[str, str, str, str, str, str, str, str]]]:
        """For each language, pre-rendered variants: subject and the texts and HTML of the three messages."""
        from carefront.desk.services import body_html_sanitise

        rng = self.rng
        rendered: dict[str, list[tuple[str, str, str, str, str, str, str, str]]] = {}
        for language, templates in TEXTS.items():
            variants = []
            for subject, first, reply, answer, note in templates:
                for _ in range(VARIANTS_PER_TEXT):
                    values = {
                        "order": f"#{rng.randint(100000, 999999)}",
                        "invoice": f"INV-{rng.randint(2023, 2025)}-{rng.randint(1000, 99999)}",
                        "product": rng.choice(PRODUCTS),
                        "day": f"{rng.randint(1, 28)}/{rng.randint(1, 12)}",
                        "name": "{name}",
                        "agent": "{agent}",
                    }
                    texts = [t.format(**values) for t in (subject, first, reply, answer, note)]
                    variants.append(
                        (
                            texts[0],
                            texts[1],
                            texts[2],
                            texts[3],
                            texts[4],
                            body_html_sanitise(body_text=texts[1], body_html=None),
                            body_html_sanitise(body_text=texts[2], body_html=None),
                            body_html_sanitise(body_text=texts[3], body_html=None),
                        )
                    )
            rendered[language] = variants
        return rendered

    def tickets_and_messages(self) -> None:
        from django.db import transaction

        from carefront.core.services import counter_reserve
        from carefront.desk.services import TICKET_NUMBER_COUNTER

        first_number = counter_reserve(name=TICKET_NUMBER_COUNTER, count=self.tickets)
        texts = self._texts()
        for language in {locale[4] for locale in LOCALES}:
            texts.setdefault(language, texts["en"])
        self.ticket_tag_rows = 0
        message_id = 0
        tag_row_id = 0
        step = (SPAN_DAYS * 86400 - 3600) / max(self.tickets, 1)
        done = 0
        while done < self.tickets:
            size = min(BATCH, self.tickets - done)
            tickets, messages, tags = self._batch(done, size, first_number, step, message_id, tag_row_id, texts)
            message_id += len(messages)
            tag_row_id += len(tags)
            with transaction.atomic():
                self.loader.insert("desk_ticket", TICKET_COLUMNS, tickets)
                self.loader.insert("desk_message", MESSAGE_COLUMNS, messages)
                self.loader.insert("desk_ticket_tags", ["id", "ticket_id", "tag_id"], tags)
            done += size
            if os.environ.get("BENCH_PROGRESS"):
                print(f"{done} tickets, {time.monotonic() - self.started:.1f}s", file=sys.stderr, flush=True)
        self.counts.update(tickets=self.tickets, messages=message_id, ticket_tags=tag_row_id)

    def orders(self, per_account: float) -> None:
        """Orders with one line each, `per_account` on average: every account buys at a rate of its own, may
        stop after any purchase (the BG/NBD story), spends at a level of its own, and mostly buys from one of
        the catalogue's themes (so that "who bought X also bought Y" has something to find)."""
        from django.db import transaction

        rng, ts = self.rng, self.ts
        order_rows: list[tuple[Any, ...]] = []
        item_rows: list[tuple[Any, ...]] = []
        order_id = 0
        currencies = {"US": "USD", "GB": "GBP", "AU": "AUD", "CA": "CAD", "MX": "MXN", "BR": "BRL", "IN": "INR"}
        # Mean orders of a buyer who never stops: the dropout below leaves about `per_account` on average.
        span = SPAN_DAYS * 86400

        def flush() -> None:
            with transaction.atomic():
                self.loader.insert("accounts_order", ORDER_COLUMNS, order_rows)
                self.loader.insert("accounts_orderitem", ORDER_ITEM_COLUMNS, item_rows)
            order_rows.clear()
            item_rows.clear()

        for account_id in range(1, self.accounts + 1):
            if rng.random() < 0.15:
                continue  # never bought
            theme = rng.randrange(CATALOGUE_THEMES)
            level = rng.gammavariate(2.0, 40.0)
            dropout = rng.betavariate(1.0, 2.5)
            gap = span / max(per_account * rng.gammavariate(1.0, 1.0) * 2, 0.5)
            moment = self.start + rng.random() * span * 0.9
            currency = currencies.get(self.account_country[account_id], "EUR")
            number = 0
            while moment < self.now:
                order_id += 1
                number += 1
                same_theme = rng.random() < 0.8
                item = (theme if same_theme else rng.randrange(CATALOGUE_THEMES)) * 10 + rng.randrange(10)
                price = round(rng.gammavariate(4.0, level / 4.0) + 1, 2)
                stamp = ts(moment)
                order_rows.append(
                    (order_id, account_id, f"ORD-{order_id:08d}", stamp, price, currency, 1, stamp, stamp)
                )
                item_rows.append(
                    (order_id, order_id, f"SKU-{item:04d}", f"Item {item}", f"theme-{item // 10}", 1, price)
                )
                if rng.random() < dropout:
                    break
                moment += rng.expovariate(1 / gap)
            if len(order_rows) >= BATCH:
                flush()
        flush()
        self.counts.update(orders=order_id, order_items=order_id)

    def _batch(
        self,
        offset: int,
        size: int,
        first_number: int,
        step: float,
        message_id: int,
        tag_row_id: int,
        texts: dict[str, list[tuple[str, str, str, str, str, str, str, str]]],
    ) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[int, int, int]]]:
        rng, ts, now = self.rng, self.ts, self.now
        random = rng.random
        channels, channel_cum = _weighted(CHANNELS)
        priorities, priority_cum = _weighted(PRIORITIES)
        tiers, tier_cum = _weighted(TIERS)
        status_tables = [(limit, *_weighted(weights)) for limit, weights in STATUS_BY_AGE]
        team_by_tier = {
            0: self.team_ids["Front line"],
            1: self.team_ids["Front line"],
            2: self.team_ids["Specialists"],
            3: self.team_ids["Technical"],
        }
        advisors_team = self.team_ids["Advisors"]
        members = self.team_members
        requesters = rng.choices(self.contact_ids, cum_weights=self.contact_cum, k=size)
        ticket_rows: list[tuple[Any, ...]] = []
        message_rows: list[tuple[Any, ...]] = []
        tag_rows: list[tuple[int, int, int]] = []
        for index in range(size):
            ticket_id = offset + index + 1
            first_message_row = len(message_rows)
            created = self.start + (ticket_id - 1) * step + random() * step
            age_days = (now - created) / 86400
            statuses, status_cum = next((v, c) for limit, v, c in status_tables if age_days < limit)
            status = _pick(rng, statuses, status_cum)
            requester = requesters[index]
            account = self.contact_account[requester]
            client = self.account_model[account] == "client"
            channel = _pick(rng, channels, channel_cum)
            priority = _pick(rng, priorities, priority_cum)
            tier = _pick(rng, tiers, tier_cum)
            if client and random() < 0.5:
                team = advisors_team
                owner = self.account_owner[account]
                staff = owner if owner is not None else rng.choice(members[team])
            else:
                team = team_by_tier[tier]
                staff = rng.choice(members[team])
            assignee = None if status == "new" else staff
            variant = rng.choice(texts[self.contact_language[requester]])
            subject, first, reply, answer, note, first_html, reply_html, answer_html = variant
            name = self.contact_name[requester]
            agent = self.agent_names.get(staff) or "the team"
            # Response times: minutes on chat and phone, hours on email; quicker for urgent tickets.
            scale = 600.0 if channel in {"chat", "phone"} else 4 * 3600.0
            if priority == "urgent":
                scale /= 4
            second = min(created + rng.expovariate(1 / scale) + 30, now - 2)
            third = min(second + rng.expovariate(1 / (6 * 3600)) + 30, now - 1)
            first_text = first.replace("{name}", name)
            message_id += 1
            message_rows.append(
                (
                    message_id,
                    ticket_id,
                    "public",
                    None,
                    requester,
                    channel,
                    first_text,
                    first_html.replace("{name}", name),
                    ts(created),
                )
            )
            note_text = note.replace("{name}", name).replace("{agent}", agent)
            if status == "new":
                # Not answered yet: a colleague's note, then the requester chasing.
                message_rows.append(
                    (message_id + 1, ticket_id, "internal", staff, None, channel, note_text, "", ts(second))
                )
                message_rows.append(
                    (
                        message_id + 2,
                        ticket_id,
                        "public",
                        None,
                        requester,
                        channel,
                        answer.replace("{agent}", agent),
                        answer_html.replace("{agent}", agent),
                        ts(third),
                    )
                )
                first_responded = None
            else:
                message_rows.append(
                    (
                        message_id + 1,
                        ticket_id,
                        "public",
                        staff,
                        None,
                        channel,
                        reply.replace("{name}", name).replace("{agent}", agent),
                        reply_html.replace("{name}", name).replace("{agent}", agent),
                        ts(second),
                    )
                )
                if random() < 0.6:
                    message_rows.append(
                        (
                            message_id + 2,
                            ticket_id,
                            "public",
                            None,
                            requester,
                            channel,
                            answer.replace("{agent}", agent),
                            answer_html.replace("{agent}", agent),
                            ts(third),
                        )
                    )
                else:
                    message_rows.append(
                        (message_id + 2, ticket_id, "internal", staff, None, channel, note_text, "", ts(third))
                    )
                first_responded = ts(second)
            message_id += 2
            solved_at = closed_at = None
            updated = third
            if status in {"solved", "closed"}:
                solved = min(third + rng.expovariate(1 / (12 * 3600)), now)
                solved_at = ts(solved)
                updated = solved
                if status == "closed":
                    closed = min(solved + 4 * 86400 + random() * 3600, now)
                    closed_at = ts(closed)
                    updated = closed
            ticket_rows.append(
                (
                    ticket_id,
                    first_number + ticket_id - 1,
                    subject,
                    status,
                    priority,
                    tier,
                    channel,
                    account,
                    requester,
                    assignee,
                    team,
                    None,
                    None,
                    first_responded,
                    solved_at,
                    closed_at,
                    3 + (status in {"solved", "closed"}) + (status == "closed"),
                    ts(created),
                    ts(updated),
                )
            )
            # Every message carries its ticket's account (the account timeline reads them by it).
            for position in range(first_message_row, len(message_rows)):
                message_rows[position] = (*message_rows[position], account)
            if random() < 0.25:
                for tag_id in rng.sample(self.ticket_tag_ids, 1 if random() < 0.7 else 2):
                    tag_row_id += 1
                    tag_rows.append((tag_row_id, ticket_id, tag_id))
        return ticket_rows, message_rows, tag_rows


TICKET_COLUMNS = [
    "id",
    "number",
    "subject",
    "status",
    "priority",
    "tier",
    "channel",
    "account_id",
    "requester_id",
    "assignee_id",
    "team_id",
    "follow_up_of_id",
    "external_id",
    "first_responded_at",
    "solved_at",
    "closed_at",
    "version",
    "created_at",
    "updated_at",
]
MESSAGE_COLUMNS = [
    "id",
    "ticket_id",
    "visibility",
    "author_user_id",
    "author_contact_id",
    "channel",
    "body_text",
    "body_html",
    "created_at",
    "account_id",
]
ORDER_COLUMNS = [
    "id",
    "account_id",
    "external_id",
    "placed_at",
    "amount",
    "currency",
    "version",
    "created_at",
    "updated_at",
]
ORDER_ITEM_COLUMNS = ["id", "order_id", "sku", "name", "category", "quantity", "unit_price"]
CATALOGUE_THEMES = 50
BULK_TABLES = [
    "accounts_account",
    "accounts_contact",
    "accounts_account_tags",
    "desk_ticket",
    "desk_message",
    "desk_ticket_tags",
    "accounts_order",
    "accounts_orderitem",
]


def seed(
    *, tickets: int, accounts: int | None = None, orders: float = 0.0, drop_indexes: bool = True
) -> dict[str, Any]:
    """Recreate the configured database, migrate it and fill it; returns the numbers measured.

    `configure()` must have been called first.
    """
    from django.core.management import call_command
    from django.core.management.color import no_style
    from django.db import connection

    from carefront.core.search_index import search_index_paused

    started = time.monotonic()
    database_recreate()
    call_command("migrate", verbosity=0, interactive=False)
    migrated = time.monotonic()
    loader = Loader()
    seeder = Seeder(tickets=tickets, accounts=accounts or max(50, tickets // 40), loader=loader)
    seeder.staff()
    if loader.vendor == "sqlite":
        # Durability is pointless while filling a benchmark database; restored below.
        loader.execute("PRAGMA synchronous=OFF")
    indexes = loader.secondary_indexes(BULK_TABLES) if drop_indexes else []
    # Building each index once after the load is far cheaper than keeping it sorted row by row.
    for name, _ in indexes:
        loader.execute(f'DROP INDEX "{name}"')
    # The SQLite full-text tables are refilled once at the end rather than row by row through their triggers.
    with search_index_paused(), loader.fact_marks_paused(BULK_TABLES):
        seeder.accounts_and_contacts()
        seeder.tickets_and_messages()
        if orders > 0:
            seeder.orders(orders)
        loaded = time.monotonic()
        loader.create_indexes([statement for _, statement in indexes])
        indexed = time.monotonic()
    searchable = time.monotonic()
    with connection.cursor() as cursor:
        # Explicit ids were written, so the sequences must move past them for later inserts.
        for statement in connection.ops.sequence_reset_sql(no_style(), _bulk_models()):
            cursor.execute(statement)
    if loader.vendor == "sqlite":
        loader.execute("PRAGMA synchronous=NORMAL")
        # A full ANALYZE (seconds at 1M tickets): sampled statistics (analysis_limit) misled the planner into
        # sorting every ticket for the first page of the list.
        loader.execute("ANALYZE")
        loader.execute("PRAGMA optimize")
        loader.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    else:
        # VACUUM as well: it sets the visibility map, which is what lets the inbox counts read only
        # ticket_inbox_counts_idx (index-only). Freshly bulk-loaded pages are not all-visible until
        # autovacuum gets to them, and the counts then visit the table: 150 ms instead of 20 at 1M tickets.
        loader.execute("VACUUM (ANALYZE)")
    finished = time.monotonic()
    connection.close()
    seconds = finished - started
    counts = seeder.counts
    rows = sum(counts.values())
    return {
        "benchmark": "seed",
        "database": "sqlite" if loader.vendor == "sqlite" else "postgresql",
        "tickets": counts["tickets"],
        "messages": counts["messages"],
        "seconds": round(seconds, 1),
        "rows_per_second": round(rows / seconds),
        "rows": rows,
        "accounts": counts["accounts"],
        "contacts": counts["contacts"],
        "ticket_tags": counts["ticket_tags"],
        "orders": counts.get("orders", 0),
        "phases_seconds": {
            "migrate": round(migrated - started, 1),
            "load": round(loaded - migrated, 1),
            "index": round(indexed - loaded, 1),
            "search_index": round(searchable - indexed, 1),
            "analyze": round(finished - searchable, 1),
        },
    }


def _bulk_models() -> list[Any]:
    from django.apps import apps

    return [
        apps.get_model("accounts", "Account"),
        apps.get_model("accounts", "Contact"),
        apps.get_model("accounts", "Account").tags.through,
        apps.get_model("desk", "Ticket"),
        apps.get_model("desk", "Message"),
        apps.get_model("desk", "Ticket").tags.through,
        apps.get_model("accounts", "Order"),
        apps.get_model("accounts", "OrderItem"),
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("tickets", type=int, help="how many tickets to create (three messages each)")
    parser.add_argument("--accounts", type=int, default=None, help="how many accounts (default: tickets / 40)")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path(os.environ.get("CAREFRONT_DATA_DIR", ".bench-data/seed")),
        help="data dir for the SQLite file and secrets (default: $CAREFRONT_DATA_DIR or .bench-data/seed)",
    )
    parser.add_argument(
        "--keep-indexes", action="store_true", help="maintain indexes during the load instead of rebuilding them"
    )
    parser.add_argument(
        "--orders", type=float, default=0.0, help="orders per account on average, one line each (default: none)"
    )
    args = parser.parse_args(argv)
    configure(data_dir=args.data_dir.resolve(), database_url=os.environ.get("DATABASE_URL"))
    result = seed(tickets=args.tickets, accounts=args.accounts, orders=args.orders, drop_indexes=not args.keep_indexes)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
