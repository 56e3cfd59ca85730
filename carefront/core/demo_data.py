"""What the demo data is made of: markets, staff, a product catalogue and conversations in four languages.

These are content, not interface strings: a French customer writes French whatever the viewer's
language, so none of this goes through gettext.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class Market:
    """A country we sell in, with the Faker locale that names its people and companies."""

    faker_locale: str
    locale: str
    language: str
    country: str
    currency: str
    # Rough conversion from the catalogue's EUR prices, so a Mexican order is not 30 pesos.
    price_factor: Decimal
    time_zones: tuple[str, ...]
    weight: int


MARKETS: tuple[Market, ...] = (
    Market(
        "en_US",
        "en-US",
        "en",
        "US",
        "USD",
        Decimal("1.1"),
        ("America/New_York", "America/Chicago", "America/Los_Angeles", "America/Denver"),
        16,
    ),
    Market("en_GB", "en-GB", "en", "GB", "GBP", Decimal("0.85"), ("Europe/London",), 14),
    Market(
        "en_AU",
        "en-AU",
        "en",
        "AU",
        "AUD",
        Decimal("1.65"),
        ("Australia/Sydney", "Australia/Melbourne", "Australia/Perth"),
        5,
    ),
    Market("en_CA", "en-CA", "en", "CA", "CAD", Decimal("1.5"), ("America/Toronto", "America/Vancouver"), 4),
    Market("fr_FR", "fr-FR", "fr", "FR", "EUR", Decimal("1"), ("Europe/Paris",), 14),
    Market("fr_CA", "fr-CA", "fr", "CA", "CAD", Decimal("1.5"), ("America/Toronto",), 3),
    Market("fr_CH", "fr-CH", "fr", "CH", "CHF", Decimal("0.95"), ("Europe/Zurich",), 2),
    Market("de_DE", "de-DE", "de", "DE", "EUR", Decimal("1"), ("Europe/Berlin",), 14),
    Market("de_AT", "de-AT", "de", "AT", "EUR", Decimal("1"), ("Europe/Vienna",), 4),
    Market("de_CH", "de-CH", "de", "CH", "CHF", Decimal("0.95"), ("Europe/Zurich",), 3),
    Market("es_ES", "es-ES", "es", "ES", "EUR", Decimal("1"), ("Europe/Madrid", "Atlantic/Canary"), 12),
    Market("es_MX", "es-MX", "es", "MX", "MXN", Decimal("19"), ("America/Mexico_City", "America/Monterrey"), 6),
)


@dataclass(frozen=True)
class StaffMember:
    """One person on the demo's staff; `team` is the name of their team."""

    username: str
    first_name: str
    last_name: str
    role: str
    team: str
    time_zone: str
    languages: tuple[str, ...]
    skills: tuple[str, ...] = ()


FRONT_LINE = "Front line"
PROBLEM_SOLVING = "Problem solving"
TECHNICAL = "Technical"
ADVISORS = "Advisors"

TEAMS: dict[str, str] = {
    FRONT_LINE: "L1: answers every new ticket first, on every channel.",
    PROBLEM_SOLVING: "L2: refunds, billing and tax questions, disputes, anything above front-line limits.",
    TECHNICAL: "L3: API, webhooks, single sign-on and other integration problems.",
    ADVISORS: "Own client relationships: check-ins, reviews, proactive advice.",
}

STAFF: tuple[StaffMember, ...] = (
    StaffMember("helena.okafor", "Helena", "Okafor", "manager", "", "Europe/London", ("en", "fr")),
    StaffMember("sam.taylor", "Sam", "Taylor", "agent", FRONT_LINE, "Europe/London", ("en",), ("orders", "delivery")),
    StaffMember(
        "lea.moreau", "Léa", "Moreau", "agent", FRONT_LINE, "Europe/Paris", ("fr", "en"), ("orders", "billing")
    ),
    StaffMember(
        "jonas.becker", "Jonas", "Becker", "agent", FRONT_LINE, "Europe/Berlin", ("de", "en"), ("delivery", "accounts")
    ),
    StaffMember(
        "lucia.fernandez",
        "Lucía",
        "Fernández",
        "agent",
        FRONT_LINE,
        "Europe/Madrid",
        ("es", "en"),
        ("orders", "delivery"),
    ),
    StaffMember(
        "priya.nair", "Priya", "Nair", "agent", FRONT_LINE, "America/Toronto", ("en", "fr"), ("accounts", "billing")
    ),
    StaffMember(
        "diego.ramirez",
        "Diego",
        "Ramírez",
        "agent",
        FRONT_LINE,
        "America/Mexico_City",
        ("es", "en"),
        ("orders", "accounts"),
    ),
    StaffMember(
        "grace.miller", "Grace", "Miller", "agent", FRONT_LINE, "America/Los_Angeles", ("en",), ("delivery", "accounts")
    ),
    StaffMember(
        "antoine.dubois",
        "Antoine",
        "Dubois",
        "agent",
        PROBLEM_SOLVING,
        "Europe/Paris",
        ("fr", "en"),
        ("refunds", "billing", "tax"),
    ),
    StaffMember(
        "katrin.vogel", "Katrin", "Vogel", "agent", PROBLEM_SOLVING, "Europe/Berlin", ("de", "en"), ("refunds", "tax")
    ),
    StaffMember(
        "pablo.serrano",
        "Pablo",
        "Serrano",
        "agent",
        PROBLEM_SOLVING,
        "Europe/Madrid",
        ("es", "en"),
        ("billing", "disputes"),
    ),
    StaffMember("raj.patel", "Raj", "Patel", "agent", TECHNICAL, "Europe/London", ("en",), ("api", "webhooks", "sso")),
    StaffMember(
        "ines.garcia",
        "Inés",
        "García",
        "agent",
        TECHNICAL,
        "Europe/Madrid",
        ("es", "en", "fr"),
        ("api", "integrations"),
    ),
    StaffMember(
        "felix.wagner", "Felix", "Wagner", "agent", TECHNICAL, "Europe/Berlin", ("de", "en"), ("webhooks", "sso")
    ),
    StaffMember("claire.fontaine", "Claire", "Fontaine", "advisor", ADVISORS, "Europe/Paris", ("fr", "en")),
    StaffMember("markus.weber", "Markus", "Weber", "advisor", ADVISORS, "Europe/Berlin", ("de", "en")),
    StaffMember("olivia.bennett", "Olivia", "Bennett", "advisor", ADVISORS, "America/New_York", ("en", "es")),
    StaffMember("carmen.ortega", "Carmen", "Ortega", "advisor", ADVISORS, "Europe/Madrid", ("es", "en")),
)


@dataclass(frozen=True)
class Product:
    """A catalogue line: SKU, name, category and a price in EUR."""

    sku: str
    name: str
    category: str
    price: Decimal
    business_only: bool = False


CATALOGUE: tuple[Product, ...] = (
    Product("EL-1001", "Wireless noise-cancelling headset", "Electronics", Decimal("149")),
    Product("EL-1002", "USB-C docking station", "Electronics", Decimal("129")),
    Product("EL-1003", "27-inch 4K monitor", "Electronics", Decimal("349")),
    Product("EL-1004", "Mechanical keyboard", "Electronics", Decimal("99")),
    Product("EL-1005", "4K webcam", "Electronics", Decimal("119")),
    Product("EL-1006", "Portable SSD 1 TB", "Electronics", Decimal("89")),
    Product("FU-2001", "Ergonomic office chair", "Furniture", Decimal("429")),
    Product("FU-2002", "Electric standing desk", "Furniture", Decimal("599")),
    Product("FU-2003", "Dual monitor arm", "Furniture", Decimal("139")),
    Product("FU-2004", "Desk lamp with USB charging", "Furniture", Decimal("49")),
    Product("SU-3001", "Printer paper A4, 5 reams", "Office supplies", Decimal("29")),
    Product("SU-3002", "Black toner cartridge", "Office supplies", Decimal("79")),
    Product("SU-3003", "A5 notebooks, pack of 10", "Office supplies", Decimal("24")),
    Product("SU-3004", "Whiteboard markers, 12 colours", "Office supplies", Decimal("15")),
    Product("SW-4001", "Cloud backup, annual plan", "Software", Decimal("119")),
    Product("SW-4002", "Design suite licence, 1 seat, 1 year", "Software", Decimal("299"), business_only=True),
    Product("SW-4003", "Accounting software, annual subscription", "Software", Decimal("240"), business_only=True),
    Product("SV-5001", "On-site installation", "Services", Decimal("180"), business_only=True),
    Product("SV-5002", "Extended warranty, 2 years", "Services", Decimal("59")),
    Product("SV-5003", "Half-day team training", "Services", Decimal("650"), business_only=True),
)

# Free-mail style domains under the reserved .example TLD, so no demo address can ever receive mail.
PERSONAL_MAIL_DOMAINS = ("mail.example", "post.example", "inbox.example", "webmail.example", "correo.example")

ACQUISITION = ("web", "referral", "partner", "trade show", "newsletter")


@dataclass(frozen=True)
class Conversation:
    """One support story in one language: what the requester writes and what we answer."""

    subject: str
    opening: str
    acknowledgement: str
    follow_up: str
    resolution: str


# Topic → (tier, tag, whether it needs an organisation, whether it needs an order).
TOPICS: dict[str, tuple[int, str, bool, bool]] = {
    "howto": (0, "how-to", False, False),
    "delivery": (1, "delivery", False, True),
    "order_change": (1, "order-change", False, True),
    "account_access": (1, "login", False, False),
    "invoice": (1, "invoice", True, True),
    "refund": (2, "refund", False, True),
    "tax": (2, "tax", True, True),
    "integration": (3, "api", True, False),
}

# Internal notes stay in English: the desk's working language across countries.
TOPIC_NOTES: dict[str, str] = {
    "howto": "Answered with the help article; worth linking it from the order page.",
    "delivery": "Opened a claim with the carrier; the depot holds the parcel until the address is confirmed.",
    "order_change": "Order was still in the picking queue; the warehouse confirmed the extra item can ship with it.",
    "account_access": "Their mail server rejects our reset emails (SPF check). Sent the link from the backup sender.",
    "invoice": "Billing details were never updated after the company renamed; corrected in the ERP as well.",
    "refund": (
        "Photos show transport damage. Refund approved under the damaged-goods policy; claim filed with the carrier."
    ),
    "tax": "Checked the VAT number in VIES and the exemption file: both valid. Finance issues the credit note.",
    "integration": (
        "Logs show 401s from their endpoint right after the 08:55 key rotation. "
        "Rolling back their signing secret and replaying the queue."
    ),
}  # fmt: skip

ESCALATION_NOTES: dict[int, str] = {
    2: "Escalating to Problem solving: this needs a refund or credit decision above front-line limits.",
    3: "Escalating to Technical: needs log access and a look at the integration on our side.",
}
ON_HOLD_NOTE = "On hold while we wait for the carrier or partner to answer; nothing is needed from the customer."
ADVISOR_NOTE = "Client account: please keep me posted, I have a check-in with them this month."

CONVERSATIONS: dict[str, dict[str, Conversation]] = {
    "howto": {
        "en": Conversation(
            "Where can I download my invoices?",
            "Hello, where in my account can I download the PDF invoices for my past orders?\n\nThanks,\n{first}",
            "Hi {first},\n\nYou can download every invoice yourself: open Account › Orders, choose the order and "
            "click “Download invoice (PDF)”. Our help article “Downloading your invoices” shows each step with "
            "screenshots.\n\nBest,\n{agent}",
            "Found it, thank you!",
            "Glad it helped, {first}. Have a good day!\n\n{agent}",
        ),
        "fr": Conversation(
            "Où puis-je télécharger mes factures ?",
            "Bonjour, où puis-je télécharger dans mon compte les factures PDF de mes commandes précédentes ?\n\n"
            "Merci,\n{first}",
            "Bonjour {first},\n\nVous pouvez télécharger vous-même toutes vos factures : ouvrez Compte › Commandes, "
            "choisissez la commande puis cliquez sur « Télécharger la facture (PDF) ». Notre article d'aide "
            "« Télécharger vos factures » détaille chaque étape avec des captures d'écran.\n\nBonne journée,\n{agent}",
            "Je l'ai trouvé, merci beaucoup !",
            "Avec plaisir, {first}. Bonne journée !\n\n{agent}",
        ),
        "de": Conversation(
            "Wo kann ich meine Rechnungen herunterladen?",
            "Hallo, wo kann ich in meinem Konto die PDF-Rechnungen für meine früheren Bestellungen herunterladen?\n\n"
            "Danke,\n{first}",
            "Hallo {first},\n\nSie können alle Rechnungen selbst herunterladen: Öffnen Sie Konto › Bestellungen, "
            "wählen Sie die Bestellung aus und klicken Sie auf „Rechnung herunterladen (PDF)“. Unser Hilfeartikel "
            "„Rechnungen herunterladen“ zeigt jeden Schritt mit Screenshots.\n\nViele Grüße\n{agent}",
            "Gefunden, vielen Dank!",
            "Gern geschehen, {first}. Einen schönen Tag noch!\n\n{agent}",
        ),
        "es": Conversation(
            "¿Dónde puedo descargar mis facturas?",
            "Hola, ¿dónde puedo descargar en mi cuenta las facturas en PDF de mis pedidos anteriores?\n\n"
            "Gracias,\n{first}",
            "Hola, {first}:\n\nPuede descargar todas sus facturas usted mismo: abra Cuenta › Pedidos, elija el "
            "pedido y haga clic en «Descargar factura (PDF)». Nuestro artículo de ayuda «Descargar sus facturas» "
            "muestra cada paso con capturas de pantalla.\n\nUn saludo,\n{agent}",
            "¡Ya lo he encontrado, muchas gracias!",
            "Me alegro de que le haya servido, {first}. ¡Que tenga un buen día!\n\n{agent}",
        ),
    },
    "delivery": {
        "en": Conversation(
            "Order {order} has not arrived yet",
            "Hello,\n\nI placed order {order} on {date} and the tracking page has said “in transit” for five days "
            "now. Could you tell me where the parcel is and when I can expect it?\n\nThanks,\n{first}",
            "Hi {first},\n\nThank you for your patience. I have checked with the carrier: your parcel is held at "
            "their regional depot because the door number was missing. I have asked them to deliver it again "
            "tomorrow. Could you confirm the full delivery address, including the flat or door number?\n\n"
            "Best regards,\n{agent}",
            "Thanks for looking into it. The address is correct, it is flat 4B on the second floor. I will be at "
            "home all day tomorrow.",
            "Hi {first},\n\nThe carrier confirms that the parcel was delivered this morning and signed for. I am "
            "closing this request; if anything is missing or damaged, just reply to this email.\n\n"
            "Kind regards,\n{agent}",
        ),
        "fr": Conversation(
            "Ma commande {order} n'est toujours pas arrivée",
            "Bonjour,\n\nJ'ai passé la commande {order} le {date} et le suivi indique « en transit » depuis cinq "
            "jours. Pouvez-vous me dire où se trouve le colis et quand il sera livré ?\n\nMerci d'avance,\n{first}",
            "Bonjour {first},\n\nMerci de votre patience. J'ai contacté le transporteur : votre colis est bloqué à "
            "l'agence régionale car le numéro de porte manquait. Je leur ai demandé de le livrer à nouveau demain. "
            "Pouvez-vous me confirmer l'adresse complète, avec le numéro d'appartement ?\n\n"
            "Bien cordialement,\n{agent}",
            "Merci pour votre aide. L'adresse est correcte, c'est l'appartement 4B au deuxième étage. Je serai chez "
            "moi toute la journée demain.",
            "Bonjour {first},\n\nLe transporteur confirme que le colis a été livré ce matin contre signature. Je "
            "clôture votre demande ; si un article manque ou est abîmé, il vous suffit de répondre à ce message.\n\n"
            "Bien à vous,\n{agent}",
        ),
        "de": Conversation(
            "Bestellung {order} ist noch nicht angekommen",
            "Guten Tag,\n\nich habe am {date} die Bestellung {order} aufgegeben, und die Sendungsverfolgung zeigt "
            "seit fünf Tagen „in Zustellung“. Können Sie mir sagen, wo das Paket ist und wann es ankommt?\n\n"
            "Vielen Dank,\n{first}",
            "Hallo {first},\n\nvielen Dank für Ihre Geduld. Ich habe beim Paketdienst nachgefragt: Ihr Paket liegt "
            "im regionalen Depot, weil die Hausnummer fehlte. Ich habe eine erneute Zustellung für morgen "
            "beauftragt. Können Sie mir bitte die vollständige Lieferadresse mit Hausnummer bestätigen?\n\n"
            "Mit freundlichen Grüßen\n{agent}",
            "Danke, dass Sie sich darum kümmern. Die Adresse stimmt, es ist Wohnung 4B im zweiten Stock. Ich bin "
            "morgen den ganzen Tag zu Hause.",
            "Hallo {first},\n\nder Paketdienst bestätigt, dass das Paket heute Morgen zugestellt und quittiert "
            "wurde. Ich schließe die Anfrage; falls etwas fehlt oder beschädigt ist, antworten Sie einfach auf "
            "diese E-Mail.\n\nViele Grüße\n{agent}",
        ),
        "es": Conversation(
            "Mi pedido {order} todavía no ha llegado",
            "Hola:\n\nHice el pedido {order} el {date} y el seguimiento indica «en tránsito» desde hace cinco días. "
            "¿Podrían decirme dónde está el paquete y cuándo lo recibiré?\n\nGracias,\n{first}",
            "Hola, {first}:\n\nGracias por su paciencia. He consultado con la empresa de transporte: el paquete está "
            "retenido en su almacén regional porque faltaba el número de la puerta. Les he pedido que lo entreguen "
            "de nuevo mañana. ¿Puede confirmarme la dirección completa, con el piso y la puerta?\n\n"
            "Un saludo,\n{agent}",
            "Gracias por revisarlo. La dirección es correcta: segundo piso, puerta 4B. Mañana estaré en casa todo "
            "el día.",
            "Hola, {first}:\n\nLa empresa de transporte confirma que el paquete se entregó esta mañana y que se "
            "firmó la recepción. Cierro la solicitud; si falta algo o llegó dañado, responda a este correo.\n\n"
            "Saludos cordiales,\n{agent}",
        ),
    },
    "order_change": {
        "en": Conversation(
            "Please add an item to order {order}",
            "Hi,\n\nI just placed order {order} and forgot to add a second USB-C docking station. Can you add it to "
            "the same order so it ships together? Happy to pay the difference.\n\n{first}",
            "Hi {first},\n\nThe order had not been packed yet, so I added a second docking station and sent you a "
            "payment link for the difference. Everything will ship together once the payment is confirmed. Does "
            "that work for you?\n\nBest,\n{agent}",
            "Perfect, I have just paid through the link. Thank you!",
            "Hi {first},\n\nPayment received: the updated order {order} is now being packed and you will get the "
            "tracking number by email. Have a good day!\n\n{agent}",
        ),
        "fr": Conversation(
            "Ajouter un article à la commande {order}",
            "Bonjour,\n\nJe viens de passer la commande {order} et j'ai oublié d'ajouter une deuxième station "
            "d'accueil USB-C. Pouvez-vous l'ajouter à la même commande pour un envoi groupé ? Je paierai la "
            "différence, bien sûr.\n\n{first}",
            "Bonjour {first},\n\nLa commande n'était pas encore préparée : j'ai ajouté une deuxième station "
            "d'accueil et je vous ai envoyé un lien de paiement pour la différence. Tout partira ensemble dès "
            "réception du paiement. Cela vous convient-il ?\n\nCordialement,\n{agent}",
            "Parfait, je viens de régler via le lien. Merci beaucoup !",
            "Bonjour {first},\n\nPaiement bien reçu : la commande {order} mise à jour est en préparation et vous "
            "recevrez le numéro de suivi par e-mail. Bonne journée !\n\n{agent}",
        ),
        "de": Conversation(
            "Artikel zu Bestellung {order} hinzufügen",
            "Hallo,\n\nich habe gerade die Bestellung {order} aufgegeben und vergessen, eine zweite "
            "USB-C-Dockingstation hinzuzufügen. Können Sie sie zur selben Bestellung hinzufügen, damit alles "
            "zusammen verschickt wird? Den Differenzbetrag zahle ich natürlich.\n\n{first}",
            "Hallo {first},\n\ndie Bestellung war noch nicht verpackt, daher habe ich eine zweite Dockingstation "
            "hinzugefügt und Ihnen einen Zahlungslink für die Differenz geschickt. Sobald die Zahlung eingegangen "
            "ist, geht alles zusammen raus. Passt das für Sie?\n\nBeste Grüße\n{agent}",
            "Super, ich habe gerade über den Link bezahlt. Vielen Dank!",
            "Hallo {first},\n\ndie Zahlung ist eingegangen: Die aktualisierte Bestellung {order} wird jetzt "
            "verpackt, und Sie erhalten die Sendungsnummer per E-Mail. Einen schönen Tag noch!\n\n{agent}",
        ),
        "es": Conversation(
            "Añadir un artículo al pedido {order}",
            "Hola:\n\nAcabo de hacer el pedido {order} y se me olvidó añadir una segunda base de conexión USB-C. "
            "¿Pueden añadirla al mismo pedido para que llegue todo junto? Pago la diferencia sin problema.\n\n"
            "{first}",
            "Hola, {first}:\n\nEl pedido aún no se había preparado, así que he añadido la segunda base de conexión "
            "y le he enviado un enlace de pago por la diferencia. Todo saldrá junto en cuanto se confirme el pago. "
            "¿Le parece bien?\n\nUn saludo,\n{agent}",
            "Perfecto, acabo de pagar con el enlace. ¡Muchas gracias!",
            "Hola, {first}:\n\nHemos recibido el pago: el pedido {order} actualizado ya se está preparando y "
            "recibirá el número de seguimiento por correo electrónico. ¡Que tenga un buen día!\n\n{agent}",
        ),
    },
    "account_access": {
        "en": Conversation(
            "I cannot log in to my account",
            "Hi,\n\nSince yesterday I cannot log in: the site says my password is wrong, and the reset email never "
            "arrives. I have checked my spam folder. Can you help?\n\n{first}",
            "Hi {first},\n\nSorry about that. I can see that the reset emails were blocked by your mail server. I "
            "have just sent a new reset link from a different address. Could you try it and let me know whether "
            "it arrives?\n\nThanks,\n{agent}",
            "It arrived this time and I have set a new password, but now it asks me for a verification code I "
            "never set up.",
            "Hi {first},\n\nThe verification step came from an old two-factor setting on your account. I have "
            "reset it, so you can log in with your new password and set up two-factor authentication again from "
            "your profile if you wish.\n\nBest,\n{agent}",
        ),
        "fr": Conversation(
            "Impossible de me connecter à mon compte",
            "Bonjour,\n\nDepuis hier, je ne peux plus me connecter : le site indique que mon mot de passe est "
            "incorrect et l'e-mail de réinitialisation n'arrive jamais. J'ai vérifié mes courriers indésirables. "
            "Pouvez-vous m'aider ?\n\n{first}",
            "Bonjour {first},\n\nDésolé pour ce souci. Je vois que les e-mails de réinitialisation ont été bloqués "
            "par votre serveur de messagerie. Je viens de vous renvoyer un lien depuis une autre adresse. "
            "Pouvez-vous l'essayer et me dire s'il arrive bien ?\n\nMerci,\n{agent}",
            "Cette fois il est arrivé et j'ai choisi un nouveau mot de passe, mais maintenant on me demande un code "
            "de vérification que je n'ai jamais configuré.",
            "Bonjour {first},\n\nL'étape de vérification venait d'un ancien réglage de double authentification sur "
            "votre compte. Je l'ai réinitialisé : vous pouvez vous connecter avec votre nouveau mot de passe et "
            "réactiver la double authentification depuis votre profil si vous le souhaitez.\n\n"
            "Bonne journée,\n{agent}",
        ),
        "de": Conversation(
            "Ich kann mich nicht in mein Konto einloggen",
            "Hallo,\n\nseit gestern kann ich mich nicht mehr anmelden: Die Seite sagt, mein Passwort sei falsch, und "
            "die E-Mail zum Zurücksetzen kommt nie an. Den Spam-Ordner habe ich schon geprüft. Können Sie mir "
            "helfen?\n\n{first}",
            "Hallo {first},\n\nentschuldigen Sie die Umstände. Ich sehe, dass Ihr Mailserver unsere E-Mails zum "
            "Zurücksetzen blockiert hat. Ich habe Ihnen soeben einen neuen Link von einer anderen Adresse "
            "geschickt. Können Sie es bitte versuchen und mir sagen, ob er ankommt?\n\nDanke,\n{agent}",
            "Diesmal ist er angekommen und ich habe ein neues Passwort vergeben, aber jetzt werde ich nach einem "
            "Bestätigungscode gefragt, den ich nie eingerichtet habe.",
            "Hallo {first},\n\nder Bestätigungsschritt kam von einer alten Zwei-Faktor-Einstellung in Ihrem Konto. "
            "Ich habe sie zurückgesetzt; Sie können sich jetzt mit dem neuen Passwort anmelden und die "
            "Zwei-Faktor-Authentifizierung bei Bedarf in Ihrem Profil wieder einrichten.\n\nViele Grüße\n{agent}",
        ),
        "es": Conversation(
            "No puedo acceder a mi cuenta",
            "Hola:\n\nDesde ayer no puedo iniciar sesión: la web dice que mi contraseña es incorrecta y el correo "
            "para restablecerla nunca llega. Ya he revisado la carpeta de spam. ¿Me pueden ayudar?\n\n{first}",
            "Hola, {first}:\n\nDisculpe las molestias. Veo que su servidor de correo bloqueó nuestros mensajes de "
            "restablecimiento. Le acabo de enviar un enlace nuevo desde otra dirección. ¿Puede probarlo y decirme "
            "si le llega?\n\nGracias,\n{agent}",
            "Esta vez sí ha llegado y he puesto una contraseña nueva, pero ahora me pide un código de verificación "
            "que nunca configuré.",
            "Hola, {first}:\n\nEl paso de verificación venía de una antigua configuración de doble factor en su "
            "cuenta. La he restablecido, así que ya puede entrar con su nueva contraseña y, si lo desea, volver a "
            "activar la verificación en dos pasos desde su perfil.\n\nUn saludo,\n{agent}",
        ),
    },
    "invoice": {
        "en": Conversation(
            "Invoice {invoice} shows the wrong company name",
            "Hello,\n\nInvoice {invoice} for order {order} is addressed to our old company name, and our VAT number "
            "is missing. Our accountant cannot book it like this. Could you issue a corrected invoice?\n\n"
            "Thank you,\n{first}",
            "Hello {first},\n\nOf course. Could you send me the exact company name and VAT number as they should "
            "appear, so I can update your account and reissue the invoice?\n\nBest regards,\n{agent}",
            "The company name is {company} and the VAT number is {vat}. Thanks for the quick reply.",
            "Hello {first},\n\nI have updated your billing details and attached the corrected invoice {invoice}-A, "
            "which cancels and replaces the previous one. Future invoices will use the new details "
            "automatically.\n\nKind regards,\n{agent}",
        ),
        "fr": Conversation(
            "La facture {invoice} porte un mauvais nom de société",
            "Bonjour,\n\nLa facture {invoice} de la commande {order} est établie à notre ancienne raison sociale et "
            "notre numéro de TVA n'y figure pas. Notre comptable ne peut pas l'enregistrer en l'état. Pourriez-vous "
            "émettre une facture rectificative ?\n\nMerci,\n{first}",
            "Bonjour {first},\n\nBien sûr. Pouvez-vous m'indiquer la raison sociale exacte et le numéro de TVA tels "
            "qu'ils doivent apparaître, afin que je mette à jour votre compte et réémette la facture ?\n\n"
            "Cordialement,\n{agent}",
            "La raison sociale est {company} et le numéro de TVA est {vat}. Merci pour votre réponse rapide.",
            "Bonjour {first},\n\nJ'ai mis à jour vos informations de facturation ; vous trouverez ci-joint la "
            "facture rectificative {invoice}-A, qui annule et remplace la précédente. Les prochaines factures "
            "reprendront automatiquement ces informations.\n\nBien à vous,\n{agent}",
        ),
        "de": Conversation(
            "Rechnung {invoice} hat den falschen Firmennamen",
            "Guten Tag,\n\ndie Rechnung {invoice} zur Bestellung {order} ist auf unseren alten Firmennamen "
            "ausgestellt, und unsere USt-IdNr. fehlt. So kann unsere Buchhaltung sie nicht verbuchen. Können Sie "
            "bitte eine korrigierte Rechnung ausstellen?\n\nDanke,\n{first}",
            "Hallo {first},\n\nselbstverständlich. Können Sie mir den genauen Firmennamen und die USt-IdNr. "
            "schicken, wie sie auf der Rechnung stehen sollen? Dann aktualisiere ich Ihr Kundenkonto und stelle "
            "die Rechnung neu aus.\n\nMit freundlichen Grüßen\n{agent}",
            "Der Firmenname lautet {company}, die USt-IdNr. ist {vat}. Danke für die schnelle Antwort.",
            "Hallo {first},\n\nich habe Ihre Rechnungsdaten aktualisiert; im Anhang finden Sie die korrigierte "
            "Rechnung {invoice}-A, die die bisherige ersetzt. Künftige Rechnungen werden automatisch mit den neuen "
            "Daten erstellt.\n\nFreundliche Grüße\n{agent}",
        ),
        "es": Conversation(
            "La factura {invoice} tiene un nombre de empresa incorrecto",
            "Hola:\n\nLa factura {invoice} del pedido {order} está a nombre de nuestra antigua razón social y no "
            "aparece nuestro número de IVA. Nuestra gestoría no puede contabilizarla así. ¿Podrían emitir una "
            "factura rectificativa?\n\nGracias,\n{first}",
            "Hola, {first}:\n\nPor supuesto. ¿Me puede enviar la razón social exacta y el número de IVA tal como "
            "deben aparecer? Así actualizo su cuenta y vuelvo a emitir la factura.\n\nUn saludo,\n{agent}",
            "La razón social es {company} y el número de IVA es {vat}. Gracias por la rapidez.",
            "Hola, {first}:\n\nHe actualizado sus datos de facturación y le adjunto la factura rectificativa "
            "{invoice}-A, que anula y sustituye a la anterior. Las próximas facturas saldrán ya con los datos "
            "nuevos.\n\nSaludos cordiales,\n{agent}",
        ),
    },
    "refund": {
        "en": Conversation(
            "Damaged monitor: I would like a refund",
            "Hello,\n\nThe 27-inch monitor from order {order} arrived with a cracked screen; the box was visibly "
            "crushed. I would like a refund rather than a replacement. I have attached photos of the box and the "
            "screen.\n\nRegards,\n{first}",
            "Hello {first},\n\nI am sorry the monitor arrived damaged. I have passed your photos to our claims "
            "team, who handle refunds for damaged goods; they will come back to you within two working days. You "
            "do not need to send the monitor back yet.\n\nKind regards,\n{agent}",
            "Thank you. Please let me know if you need anything else from me, such as the original invoice.",
            "Hello {first},\n\nYour claim is approved: we have refunded {amount} to your original payment method, "
            "and it should appear on your statement within five to seven working days. A courier will collect the "
            "damaged monitor; you will receive the pick-up slot by email.\n\nWith apologies for the trouble,\n"
            "{agent}",
        ),
        "fr": Conversation(
            "Écran endommagé : je souhaite un remboursement",
            "Bonjour,\n\nL'écran 27 pouces de la commande {order} est arrivé avec la dalle fissurée ; le carton "
            "était visiblement écrasé. Je préfère un remboursement plutôt qu'un échange. Vous trouverez en pièce "
            "jointe des photos du carton et de l'écran.\n\nCordialement,\n{first}",
            "Bonjour {first},\n\nNous sommes désolés que l'écran soit arrivé endommagé. J'ai transmis vos photos à "
            "notre service litiges, qui traite les remboursements des produits abîmés ; il reviendra vers vous "
            "sous deux jours ouvrés. Inutile de nous renvoyer l'écran pour l'instant.\n\n"
            "Bien cordialement,\n{agent}",
            "Merci. N'hésitez pas à me dire s'il vous faut autre chose, par exemple la facture d'origine.",
            "Bonjour {first},\n\nVotre réclamation est acceptée : nous vous avons remboursé {amount} sur votre moyen "
            "de paiement d'origine ; le montant apparaîtra sur votre relevé sous cinq à sept jours ouvrés. Un "
            "transporteur viendra récupérer l'écran endommagé ; vous recevrez le créneau d'enlèvement par "
            "e-mail.\n\nEn vous priant de nous excuser pour ce désagrément,\n{agent}",
        ),
        "de": Conversation(
            "Beschädigter Monitor: Ich möchte eine Erstattung",
            "Guten Tag,\n\nder 27-Zoll-Monitor aus Bestellung {order} kam mit einem gesprungenen Display an; der "
            "Karton war deutlich eingedrückt. Ich möchte lieber eine Erstattung als einen Ersatz. Fotos vom Karton "
            "und vom Bildschirm habe ich angehängt.\n\nMit freundlichen Grüßen\n{first}",
            "Hallo {first},\n\nes tut mir leid, dass der Monitor beschädigt angekommen ist. Ich habe Ihre Fotos an "
            "unser Reklamationsteam weitergegeben, das Erstattungen für beschädigte Ware bearbeitet; es meldet "
            "sich innerhalb von zwei Werktagen bei Ihnen. Sie müssen den Monitor noch nicht zurückschicken.\n\n"
            "Freundliche Grüße\n{agent}",
            "Danke. Sagen Sie mir bitte Bescheid, wenn Sie noch etwas von mir brauchen, zum Beispiel die "
            "Originalrechnung.",
            "Hallo {first},\n\nIhre Reklamation wurde anerkannt: Wir haben Ihnen {amount} auf Ihr ursprüngliches "
            "Zahlungsmittel erstattet; der Betrag erscheint innerhalb von fünf bis sieben Werktagen auf Ihrem "
            "Kontoauszug. Ein Kurier holt den beschädigten Monitor ab; den Abholtermin erhalten Sie per E-Mail.\n\n"
            "Entschuldigen Sie bitte die Unannehmlichkeiten.\n{agent}",
        ),
        "es": Conversation(
            "Monitor dañado: solicito el reembolso",
            "Hola:\n\nEl monitor de 27 pulgadas del pedido {order} llegó con la pantalla rota; la caja estaba "
            "claramente aplastada. Prefiero el reembolso en lugar de un cambio. Adjunto fotos de la caja y de la "
            "pantalla.\n\nSaludos,\n{first}",
            "Hola, {first}:\n\nSiento mucho que el monitor llegara dañado. He enviado sus fotos a nuestro equipo de "
            "reclamaciones, que gestiona los reembolsos de productos dañados; se pondrán en contacto con usted en "
            "un plazo de dos días laborables. Por ahora no hace falta que devuelva el monitor.\n\n"
            "Atentamente,\n{agent}",
            "Gracias. Díganme si necesitan algo más, por ejemplo la factura original.",
            "Hola, {first}:\n\nSu reclamación ha sido aprobada: le hemos reembolsado {amount} en el mismo medio de "
            "pago, y el importe aparecerá en su extracto en un plazo de cinco a siete días laborables. Un "
            "mensajero pasará a recoger el monitor dañado; recibirá la franja de recogida por correo "
            "electrónico.\n\nDisculpe las molestias,\n{agent}",
        ),
    },
    "tax": {
        "en": Conversation(
            "Tax charged on invoice {invoice} although we are exempt",
            "Hello,\n\nOur organisation is tax-exempt, but invoice {invoice} for order {order} includes tax. Our "
            "exemption certificate should be on file since last year. Could you check and refund the tax that was "
            "charged?\n\nBest regards,\n{first}",
            "Hello {first},\n\nThank you for flagging this. Tax exemptions are checked by our billing specialists, "
            "so I have passed your request on. Could you send us a copy of the current exemption certificate in "
            "the meantime, in case the one on file has expired?\n\nKind regards,\n{agent}",
            "Here is the renewed certificate, valid until the end of next year. Reference: {vat}.",
            "Hello {first},\n\nThe certificate is valid and is now attached to your account, so future invoices "
            "will be issued without tax. We have also issued a credit note for the tax charged on invoice "
            "{invoice}; the amount will be refunded within five working days.\n\nBest regards,\n{agent}",
        ),
        "fr": Conversation(
            "TVA sur les livraisons vers notre filiale à l'étranger",
            "Bonjour,\n\nNous sommes assujettis à la TVA et certaines commandes sont livrées à notre filiale dans un "
            "autre pays de l'UE. Ces factures ne devraient-elles pas être en autoliquidation, sans TVA ? La facture "
            "{invoice} de la commande {order} appliquait pourtant la TVA.\n\nCordialement,\n{first}",
            "Bonjour {first},\n\nMerci pour votre question. Le traitement de la TVA dépend du lieu de livraison et "
            "du numéro de TVA enregistré sur votre compte ; je transmets donc votre demande à nos spécialistes de "
            "la facturation. Pouvez-vous me communiquer en attendant le numéro de TVA de la filiale "
            "destinataire ?\n\nBien cordialement,\n{agent}",
            "La filiale est immatriculée sous le numéro {vat}. Dites-moi si vous avez besoin d'un justificatif.",
            "Bonjour {first},\n\nNous avons vérifié le numéro de TVA dans le registre européen VIES. Les livraisons "
            "vers cette filiale seront désormais facturées hors TVA en autoliquidation, avec la mention légale sur "
            "chaque facture. Nous avons également émis un avoir pour la TVA facturée sur la facture {invoice}.\n\n"
            "Cordialement,\n{agent}",
        ),
        "de": Conversation(
            "Umsatzsteuer bei Lieferungen an unsere Niederlassung im Ausland",
            "Guten Tag,\n\nwir sind umsatzsteuerpflichtig, und einige Bestellungen gehen an unsere Niederlassung in "
            "einem anderen EU-Land. Müssten diese Rechnungen nicht im Reverse-Charge-Verfahren ohne Umsatzsteuer "
            "ausgestellt werden? Auf der Rechnung {invoice} zur Bestellung {order} wurde Umsatzsteuer berechnet."
            "\n\nMit freundlichen Grüßen\n{first}",
            "Hallo {first},\n\ndanke für Ihre Frage. Die steuerliche Behandlung hängt vom Lieferort und der bei uns "
            "hinterlegten USt-IdNr. ab, deshalb habe ich Ihre Anfrage an unsere Abrechnungsspezialisten "
            "weitergeleitet. Können Sie mir in der Zwischenzeit die USt-IdNr. der empfangenden Niederlassung "
            "schicken?\n\nFreundliche Grüße\n{agent}",
            "Die Niederlassung ist unter {vat} registriert. Sagen Sie Bescheid, falls Sie eine Bescheinigung brauchen.",
            "Hallo {first},\n\nwir haben die USt-IdNr. im europäischen VIES-Register geprüft. Lieferungen an diese "
            "Niederlassung werden ab sofort ohne Umsatzsteuer im Reverse-Charge-Verfahren abgerechnet, mit dem "
            "gesetzlichen Hinweis auf jeder Rechnung. Für die auf Rechnung {invoice} berechnete Umsatzsteuer haben "
            "wir eine Gutschrift erstellt.\n\nMit freundlichen Grüßen\n{agent}",
        ),
        "es": Conversation(
            "IVA en los envíos a nuestra oficina en otro país",
            "Hola:\n\nEstamos dados de alta en el IVA y algunos pedidos se envían a nuestra oficina en otro país de "
            "la UE. ¿No deberían esas facturas emitirse con inversión del sujeto pasivo, sin IVA? La factura "
            "{invoice} del pedido {order} incluía IVA.\n\nUn saludo,\n{first}",
            "Hola, {first}:\n\nGracias por la consulta. El tratamiento del IVA depende del lugar de entrega y del "
            "número de IVA que tenemos registrado, así que he trasladado su consulta a nuestros especialistas de "
            "facturación. Mientras tanto, ¿podría enviarme el número de IVA de la oficina que recibe los "
            "pedidos?\n\nAtentamente,\n{agent}",
            "La oficina está registrada con el número {vat}. Avísenme si necesitan un certificado.",
            "Hola, {first}:\n\nHemos comprobado el número de IVA en el registro europeo VIES. A partir de ahora, los "
            "envíos a esa oficina se facturarán sin IVA por inversión del sujeto pasivo, con la mención legal en "
            "cada factura. También hemos emitido una factura rectificativa por el IVA cobrado en la factura "
            "{invoice}.\n\nSaludos cordiales,\n{agent}",
        ),
    },
    "integration": {
        "en": Conversation(
            "Order webhooks failing with HTTP 401 since this morning",
            "Hi team,\n\nSince about 9:00 this morning every order webhook to our ERP endpoint fails with HTTP 401. "
            "We did not change anything on our side. The last delivery that worked was for order {order}. Can you "
            "check whether the signing secret changed?\n\nThanks,\n{first}",
            "Hi {first},\n\nThanks for the details. I can see the failed deliveries in our logs. I have escalated "
            "this to our technical team, who can look at the webhook signatures; we will update you here as soon "
            "as we know more.\n\nBest,\n{agent}",
            "Thanks. For reference, our endpoint logs show the signature header is present but does not match.",
            "Hi {first},\n\nFound it: the key rotation on the morning you wrote switched your webhooks to the new "
            "signing secret before it was shown in your dashboard. We have rolled your account back to the "
            "previous secret and replayed the failed deliveries, so your ERP should now have every order. You "
            "can rotate the secret yourself from Settings › Webhooks whenever you are ready.\n\nRegards,\n{agent}",
        ),
        "fr": Conversation(
            "Les webhooks de commande échouent en HTTP 401 depuis ce matin",
            "Bonjour,\n\nDepuis 9 h ce matin, tous les webhooks de commande vers notre ERP échouent avec une erreur "
            "HTTP 401. Nous n'avons rien modifié de notre côté. La dernière livraison réussie concernait la "
            "commande {order}. Pouvez-vous vérifier si le secret de signature a changé ?\n\nMerci,\n{first}",
            "Bonjour {first},\n\nMerci pour ces précisions. Je vois bien les échecs de livraison dans nos journaux. "
            "J'ai transmis le sujet à notre équipe technique, qui peut analyser les signatures des webhooks ; nous "
            "vous tiendrons informés ici dès que possible.\n\nCordialement,\n{agent}",
            "Merci. Pour information, les journaux de notre serveur montrent que l'en-tête de signature est bien "
            "présent mais ne correspond pas.",
            "Bonjour {first},\n\nNous avons trouvé la cause : la rotation de clés du matin de votre message a "
            "fait passer vos webhooks au nouveau secret de signature avant qu'il n'apparaisse dans votre tableau "
            "de bord. Nous avons rétabli l'ancien secret sur votre compte et rejoué les livraisons en échec : votre "
            "ERP devrait maintenant avoir toutes les commandes. Vous pourrez changer le secret vous-même dans "
            "Paramètres › Webhooks quand vous le souhaitez.\n\nBien cordialement,\n{agent}",
        ),
        "de": Conversation(
            "Bestell-Webhooks schlagen seit heute Morgen mit HTTP 401 fehl",
            "Hallo zusammen,\n\nseit etwa 9 Uhr heute Morgen schlägt jeder Bestell-Webhook an unseren ERP-Endpunkt "
            "mit HTTP 401 fehl. Wir haben auf unserer Seite nichts geändert. Die letzte erfolgreiche Zustellung war "
            "für Bestellung {order}. Können Sie prüfen, ob sich das Signatur-Secret geändert hat?\n\n"
            "Danke,\n{first}",
            "Hallo {first},\n\ndanke für die Details. Ich sehe die fehlgeschlagenen Zustellungen in unseren Logs. "
            "Ich habe das an unser Technik-Team eskaliert, das die Webhook-Signaturen prüfen kann; wir melden uns "
            "hier, sobald wir mehr wissen.\n\nViele Grüße\n{agent}",
            "Danke. Zur Info: Unsere Endpunkt-Logs zeigen, dass der Signatur-Header vorhanden ist, aber nicht "
            "übereinstimmt.",
            "Hallo {first},\n\nwir haben die Ursache gefunden: Die Schlüsselrotation am Morgen Ihrer Meldung hat Ihre "
            "Webhooks auf das neue Signatur-Secret umgestellt, bevor es in Ihrem Dashboard angezeigt wurde. Wir "
            "haben Ihr Konto auf das bisherige Secret zurückgesetzt und die fehlgeschlagenen Zustellungen erneut "
            "gesendet, sodass Ihr ERP jetzt alle Bestellungen haben sollte. Das Secret können Sie jederzeit selbst "
            "unter Einstellungen › Webhooks wechseln.\n\nMit freundlichen Grüßen\n{agent}",
        ),
        "es": Conversation(
            "Los webhooks de pedidos fallan con HTTP 401 desde esta mañana",
            "Hola:\n\nDesde las 9:00 de esta mañana todos los webhooks de pedidos hacia nuestro ERP fallan con HTTP "
            "401. No hemos cambiado nada por nuestra parte. El último envío correcto fue el del pedido {order}. "
            "¿Pueden comprobar si ha cambiado el secreto de firma?\n\nGracias,\n{first}",
            "Hola, {first}:\n\nGracias por los detalles. Veo los envíos fallidos en nuestros registros. Lo he "
            "escalado a nuestro equipo técnico, que puede revisar las firmas de los webhooks; le informaremos aquí "
            "en cuanto sepamos más.\n\nUn saludo,\n{agent}",
            "Gracias. Para su información, los registros de nuestro servidor muestran que la cabecera de firma "
            "llega, pero no coincide.",
            "Hola, {first}:\n\nYa tenemos la causa: la rotación de claves de la mañana en que nos escribió cambió "
            "sus webhooks al nuevo secreto de firma antes de que apareciera en su panel. Hemos vuelto a activar el "
            "secreto anterior en su cuenta y reenviado los envíos fallidos, así que su ERP ya debería tener todos "
            "los pedidos. Puede cambiar el secreto usted mismo en Configuración › Webhooks cuando quiera.\n\n"
            "Saludos cordiales,\n{agent}",
        ),
    },
}

CLIENT_REASONS = (
    "Spends steadily every month and asked for a named contact; moving to the advisor model.",
    "High order value and several teams buying; a dedicated advisor will coordinate.",
    "Signed the annual service agreement; onboarding with an advisor.",
)


# --- SLA: two calendars, and tighter targets for clients than for customers ---------------------------
# (first response, next response, resolution) in business minutes, per priority.
SLA_CALENDARS = {
    "Front office (London)": ("Europe/London", "GB", "ENG", 8, 18),
    "Advisors (Paris)": ("Europe/Paris", "FR", "", 9, 18),
}
SLA_POLICIES = [
    (
        "Clients",
        "client",
        "Advisors (Paris)",
        {
            "urgent": (30, 60, 4 * 60),
            "high": (60, 120, 8 * 60),
            "normal": (2 * 60, 4 * 60, 16 * 60),
            "low": (4 * 60, 8 * 60, 27 * 60),
        },
    ),
    (
        "Customers",
        "customer",
        "Front office (London)",
        {
            "urgent": (60, 2 * 60, 8 * 60),
            "high": (4 * 60, 8 * 60, 20 * 60),
            "normal": (8 * 60, 16 * 60, 50 * 60),
            "low": (16 * 60, 24 * 60, 100 * 60),
        },
    ),
]


# --- Routing: team strategies, rules in order (name, runs on, conditions, actions; teams by name), and
# time-based automations (name, since, hours, calendar or None, conditions, actions).
TEAM_STRATEGIES = {
    FRONT_LINE: "skill_language",
    PROBLEM_SOLVING: "least_open",
    TECHNICAL: "round_robin",
    ADVISORS: "round_robin",
}
ROUTING_RULES: list[tuple[str, str, dict[str, Any], dict[str, Any]]] = [
    (
        "Integrations go to technical (L3)",
        "created",
        {"words": ["api", "webhook", "webhooks", "sso", "single sign-on", "intégration"]},
        {"tier": 3, "team": TECHNICAL, "priority": "high"},
    ),
    (
        "Refunds and billing go to problem solving (L2)",
        "created",
        {
            "words": ["refund", "chargeback", "invoice", "vat", "remboursement", "facture", "tva"],
            "tier": [1],
        },
        {"tier": 2, "team": PROBLEM_SOLVING},
    ),
    (
        "Customers' tickets start on the front line",
        "created",
        {"service_model": ["customer"], "tier": [1]},
        {"team": FRONT_LINE},
    ),
    (
        "Outages are urgent",
        "created",
        {"words": ["outage", "down", "urgent", "panne", "bloqué"]},
        {"priority": "urgent", "tags_add": ["urgent"]},
    ),
    (
        "French speakers are tagged",
        "created",
        {"language": ["fr"]},
        {"tags_add": ["fr"]},
    ),
    (
        "Difficult conversations go to a senior (problem solving)",
        "updated",
        {"difficult": [True]},
        {"team": PROBLEM_SOLVING, "assignee": None},
    ),
    (
        "Urgent client tickets are flagged for the advisors",
        "both",
        {"service_model": ["client"], "priority": ["urgent"]},
        {"tags_add": ["client-urgent"]},
    ),
]
AUTOMATIONS: list[tuple[str, str, int, str | None, dict[str, Any], dict[str, Any]]] = [
    (
        "Remind the requester after 3 days pending",
        "status",
        72,
        None,
        {"status": ["pending"]},
        {"remind_requester": True},
    ),
    ("Close tickets solved 4 days ago", "solved", 96, None, {"status": ["solved"]}, {"status": "closed"}),
    (
        "Client ticket untouched for 4 business hours: tell the owner",
        "updated",
        4,
        "Advisors (Paris)",
        {"service_model": ["client"], "status": ["new", "open"]},
        {"notify": ["owner"]},
    ),
    (
        "Unassigned for 2 business hours: tell the team",
        "created",
        2,
        "Front office (London)",
        {"assigned": [False], "status": ["new"]},
        {"notify": ["team"], "priority": "high"},
    ),
]


# --- Macros, shared, in English and French: (name, kind, status, tags, English, French) ------------------
MACROS = [
    (
        "Where is my order",
        "public",
        "pending",
        ["shipping"],
        "Hello {{ requester.first_name }},\n\nThank you for writing. I have asked the carrier where your parcel is "
        "and will come back to you as soon as they answer.\n\nBest regards,\n{{ agent.first_name }}",
        "Bonjour {{ requester.first_name }},\n\nMerci de votre message. J'ai demandé au transporteur où se trouve "
        "votre colis et je reviens vers vous dès qu'il répond.\n\nBien cordialement,\n{{ agent.first_name }}",
    ),
    (
        "Refund sent",
        "public",
        "solved",
        ["refund"],
        "Hello {{ requester.first_name }},\n\nYour refund for ticket #{{ ticket.number }} is on its way: it "
        "reaches your account within five working days.\n\nBest regards,\n{{ agent.first_name }}",
        "Bonjour {{ requester.first_name }},\n\nLe remboursement lié au ticket n° {{ ticket.number }} est parti : "
        "il arrive sur votre compte sous cinq jours ouvrés.\n\nBien cordialement,\n{{ agent.first_name }}",
    ),
    (
        "Password reset",
        "public",
        "solved",
        ["password-reset"],
        "Hello {{ requester.first_name }},\n\nUse “Forgot your password?” on the sign-in page: the link we email "
        "you works for one hour.\n\nBest regards,\n{{ agent.first_name }}",
        "Bonjour {{ requester.first_name }},\n\nUtilisez « Mot de passe oublié ? » sur la page de connexion : le "
        "lien envoyé par e-mail reste valable une heure.\n\nBien cordialement,\n{{ agent.first_name }}",
    ),
    (
        "Hand to the advisor",
        "internal",
        "",
        ["advisor"],
        "{{ account.owner.first_name }}, {{ account.name }} is your client: can you take this one?",
        "{{ account.owner.first_name }}, {{ account.name }} est votre client : pouvez-vous le prendre ?",
    ),
]
