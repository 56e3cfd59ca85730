"""The demo's help centre: categories and articles in English and French for an online shop, plus a few
internal articles for agents. Loaded by `carefront demo` through the services (rendered, sanitised, audited)."""

from __future__ import annotations

from typing import Any

from carefront.knowledge.models import Article, ArticleStatus, ArticleVisibility, Category
from carefront.knowledge.services import ArticleText, article_create, category_create

PUBLIC = ArticleVisibility.PUBLIC
INTERNAL = ArticleVisibility.INTERNAL

# (slug, position, English name, French name)
CATEGORIES: list[tuple[str, int, str, str]] = [
    ("orders", 1, "Orders", "Commandes"),
    ("delivery", 2, "Delivery", "Livraison"),
    ("returns-refunds", 3, "Returns and refunds", "Retours et remboursements"),
    ("billing-payments", 4, "Billing and payments", "Facturation et paiements"),
    ("account-security", 5, "Your account and security", "Votre compte et sa sécurité"),
    ("agent-playbook", 6, "Agent playbook", "Guide des agents"),
]

# (slug, category, visibility, English title, English body, French title, French body)
ARTICLES: list[tuple[str, str, str, str, str, str, str]] = [
    (
        "track-my-order",
        "orders",
        PUBLIC,
        "Track my order",
        "1. Sign in and open **My orders**.\n"
        "2. Choose the order: its status shows *Preparing*, *Shipped* or *Delivered*.\n"
        "3. Once shipped, follow the **Track parcel** link to the carrier's page.\n\n"
        "Tracking can take up to 24 hours to show the first scan after the parcel leaves our warehouse.",
        "Suivre ma commande",
        "1. Connectez-vous et ouvrez **Mes commandes**.\n"
        "2. Choisissez la commande : son état indique *En préparation*, *Expédiée* ou *Livrée*.\n"
        "3. Une fois la commande expédiée, suivez le lien **Suivre le colis** vers le site du transporteur.\n\n"
        "Le premier scan peut mettre jusqu’à 24 heures à apparaître après le départ de notre entrepôt.",
    ),
    (
        "change-or-cancel-an-order",
        "orders",
        PUBLIC,
        "Change or cancel an order",
        "You can change the address or cancel an order while its status is **Preparing**: open the order in "
        "**My orders** and choose **Change** or **Cancel order**.\n\n"
        "Once the order has shipped it can no longer be cancelled; refuse the parcel or "
        "[return it](/portal/help/articles/return-an-item/) instead.",
        "Modifier ou annuler une commande",
        "Vous pouvez modifier l’adresse ou annuler une commande tant que son état est **En préparation** : "
        "ouvrez-la dans **Mes commandes** et choisissez **Modifier** ou **Annuler la commande**.\n\n"
        "Une fois expédiée, la commande ne peut plus être annulée ; refusez le colis ou "
        "[retournez-le](/portal/help/articles/return-an-item/).",
    ),
    (
        "order-confirmation-missing",
        "orders",
        PUBLIC,
        "I did not receive my order confirmation",
        "We send the confirmation email within a few minutes of payment.\n\n"
        "- Look in your spam or promotions folder.\n"
        "- Check the address in **Profile**: a typo sends the email elsewhere.\n"
        "- Your order is safe even without the email: it is listed in **My orders**.",
        "Je n’ai pas reçu la confirmation de ma commande",
        "Nous envoyons l’e-mail de confirmation quelques minutes après le paiement.\n\n"
        "- Regardez dans vos courriers indésirables ou l’onglet promotions.\n"
        "- Vérifiez l’adresse dans **Profil** : une faute de frappe envoie l’e-mail ailleurs.\n"
        "- Votre commande existe même sans l’e-mail : elle figure dans **Mes commandes**.",
    ),
    (
        "item-out-of-stock",
        "orders",
        PUBLIC,
        "An item in my order is out of stock",
        "If an item runs out after you ordered, we email you within one working day. You choose between "
        "waiting for the restock (we give a date) and a refund of that item, which reaches your card in "
        "3 to 5 working days. The rest of the order ships as planned.",
        "Un article de ma commande est en rupture de stock",
        "Si un article vient à manquer après votre commande, nous vous écrivons sous un jour ouvré. Vous "
        "choisissez entre attendre le réassort (nous donnons une date) et le remboursement de cet article, "
        "qui arrive sur votre carte en 3 à 5 jours ouvrés. Le reste de la commande part comme prévu.",
    ),
    (
        "add-items-to-an-order",
        "orders",
        PUBLIC,
        "Add items to an order I already placed",
        "Orders cannot be merged once paid. Place a second order: if both are still **Preparing**, write to us "
        "with the two order numbers and we ship them together and refund the second delivery fee.",
        "Ajouter des articles à une commande déjà passée",
        "Les commandes payées ne peuvent pas être fusionnées. Passez une seconde commande : si les deux sont "
        "encore **En préparation**, écrivez-nous avec les deux numéros et nous les expédions ensemble en "
        "remboursant les seconds frais de livraison.",
    ),
    (
        "gift-orders",
        "orders",
        PUBLIC,
        "Send an order as a gift",
        "At checkout tick **This is a gift**: the parcel contains a gift note with your message and no prices. "
        "Enter the recipient's address as the delivery address; the invoice is still emailed to you.",
        "Envoyer une commande en cadeau",
        "Lors du paiement, cochez **C’est un cadeau** : le colis contient une carte avec votre message et "
        "aucun prix. Saisissez l’adresse du destinataire comme adresse de livraison ; la facture vous est "
        "toujours envoyée par e-mail.",
    ),
    (
        "delivery-times-and-costs",
        "delivery",
        PUBLIC,
        "Delivery times and costs",
        "| Option | Time | Cost |\n| --- | --- | --- |\n"
        "| Standard | 3 to 5 working days | 4.90 EUR, free from 50 EUR |\n"
        "| Express | next working day if ordered before 2 pm | 9.90 EUR |\n"
        "| Pick-up point | 2 to 4 working days | 3.50 EUR |\n\n"
        "Times start when the order ships, not when it is placed.",
        "Délais et frais de livraison",
        "| Option | Délai | Prix |\n| --- | --- | --- |\n"
        "| Standard | 3 à 5 jours ouvrés | 4,90 EUR, offerte dès 50 EUR |\n"
        "| Express | le jour ouvré suivant pour une commande avant 14 h | 9,90 EUR |\n"
        "| Point relais | 2 à 4 jours ouvrés | 3,50 EUR |\n\n"
        "Les délais courent à partir de l’expédition, pas de la commande.",
    ),
    (
        "parcel-late",
        "delivery",
        PUBLIC,
        "My parcel is late",
        "First check the tracking link in **My orders**: carriers often show a new date there.\n\n"
        "If the parcel has not moved for **5 working days**, write to us with the order number. We open an "
        "enquiry with the carrier and, if the parcel is lost, send a replacement or refund you.",
        "Mon colis est en retard",
        "Consultez d’abord le lien de suivi dans **Mes commandes** : le transporteur y indique souvent une "
        "nouvelle date.\n\n"
        "Si le colis n’a pas bougé depuis **5 jours ouvrés**, écrivez-nous avec le numéro de commande. Nous "
        "ouvrons une enquête auprès du transporteur et, si le colis est perdu, nous le renvoyons ou vous "
        "remboursons.",
    ),
    (
        "parcel-marked-delivered-not-received",
        "delivery",
        PUBLIC,
        "My parcel says delivered but I did not receive it",
        "- Check with neighbours, your building's reception and any safe place you named.\n"
        "- Look for a notice from the carrier in your letter box.\n"
        "- Wait until the end of the next working day: parcels are sometimes scanned early.\n\n"
        "Still nothing? Write to us within 14 days of the delivery date and we open a claim.",
        "Mon colis est indiqué livré mais je ne l’ai pas reçu",
        "- Renseignez-vous auprès des voisins, de l’accueil de l’immeuble et du lieu sûr que vous avez indiqué.\n"
        "- Cherchez un avis de passage dans votre boîte aux lettres.\n"
        "- Attendez la fin du jour ouvré suivant : les colis sont parfois scannés en avance.\n\n"
        "Toujours rien ? Écrivez-nous dans les 14 jours suivant la date de livraison et nous ouvrons une "
        "réclamation.",
    ),
    (
        "damaged-parcel",
        "delivery",
        PUBLIC,
        "My parcel arrived damaged",
        "Take photos of the box and of the item before throwing anything away, then write to us with the order "
        "number and the photos attached. We send a replacement at no cost; you do not need to return a "
        "broken item unless we ask.",
        "Mon colis est arrivé endommagé",
        "Prenez en photo le carton et l’article avant de jeter quoi que ce soit, puis écrivez-nous avec le "
        "numéro de commande et les photos en pièce jointe. Nous envoyons un remplacement sans frais ; inutile "
        "de renvoyer un article cassé, sauf si nous le demandons.",
    ),
    (
        "change-delivery-address",
        "delivery",
        PUBLIC,
        "Change the delivery address",
        "Before shipping, change it in **My orders** → **Change**. After shipping, use the carrier's tracking "
        "page: most carriers let you redirect the parcel to a pick-up point or choose another day.",
        "Changer l’adresse de livraison",
        "Avant l’expédition, modifiez-la dans **Mes commandes** → **Modifier**. Après l’expédition, passez "
        "par la page de suivi du transporteur : la plupart permettent de rediriger le colis vers un point "
        "relais ou de choisir un autre jour.",
    ),
    (
        "international-delivery",
        "delivery",
        PUBLIC,
        "Delivering abroad and customs",
        "We deliver to the EU, the United Kingdom, Switzerland and Norway. Outside the EU, import duties and "
        "VAT may be collected by the carrier on delivery; the checkout shows an estimate before you pay.",
        "Livraison à l’étranger et douane",
        "Nous livrons dans l’UE, au Royaume-Uni, en Suisse et en Norvège. Hors de l’UE, des droits de douane "
        "et la TVA peuvent être perçus par le transporteur à la livraison ; le paiement affiche une "
        "estimation avant de valider.",
    ),
    (
        "pick-up-points",
        "delivery",
        PUBLIC,
        "Collect a parcel from a pick-up point",
        "You get an email and a text message when the parcel arrives. Bring the **pick-up code** and an ID; "
        "the parcel waits **10 days**, then it comes back to us and we refund you.",
        "Retirer un colis en point relais",
        "Vous recevez un e-mail et un SMS à l’arrivée du colis. Présentez le **code de retrait** et une pièce "
        "d’identité ; le colis attend **10 jours**, puis il nous revient et nous vous remboursons.",
    ),
    (
        "return-an-item",
        "returns-refunds",
        PUBLIC,
        "Return an item",
        "You have **30 days** from delivery to return an item in its original condition.\n\n"
        "1. Open the order in **My orders** and choose **Return items**.\n"
        "2. Select the items and a reason, then print the prepaid label.\n"
        "3. Drop the parcel at any post office or pick-up point.\n\n"
        "Keep the drop-off receipt until the refund arrives.",
        "Retourner un article",
        "Vous disposez de **30 jours** après la livraison pour retourner un article dans son état d’origine.\n\n"
        "1. Ouvrez la commande dans **Mes commandes** et choisissez **Retourner des articles**.\n"
        "2. Sélectionnez les articles et un motif, puis imprimez l’étiquette prépayée.\n"
        "3. Déposez le colis dans un bureau de poste ou un point relais.\n\n"
        "Gardez le reçu de dépôt jusqu’à l’arrivée du remboursement.",
    ),
    (
        "refund-times",
        "returns-refunds",
        PUBLIC,
        "When will I get my refund?",
        "We refund within **3 working days** of receiving your return, to the payment method you used. Banks "
        "then take 3 to 5 working days to show it. You get an email when we send the refund.",
        "Quand serai-je remboursé ?",
        "Nous remboursons sous **3 jours ouvrés** après réception de votre retour, sur le moyen de paiement "
        "utilisé. Votre banque met ensuite 3 à 5 jours ouvrés à l’afficher. Un e-mail vous prévient de "
        "l’envoi du remboursement.",
    ),
    (
        "exchange-size-or-colour",
        "returns-refunds",
        PUBLIC,
        "Exchange for another size or colour",
        "Choose **Exchange** instead of **Refund** when you create the return: we reserve the new item at once "
        "and ship it, free, as soon as the carrier scans your return.",
        "Échanger contre une autre taille ou couleur",
        "Choisissez **Échange** plutôt que **Remboursement** en créant le retour : nous réservons aussitôt le "
        "nouvel article et l’expédions gratuitement dès que le transporteur scanne votre retour.",
    ),
    (
        "items-that-cannot-be-returned",
        "returns-refunds",
        PUBLIC,
        "Items that cannot be returned",
        "For hygiene or legal reasons we cannot take back:\n\n"
        "- opened cosmetics and underwear;\n- personalised or engraved items;\n- gift cards and e-books.\n\n"
        "A faulty item can always be returned, whatever it is.",
        "Articles qui ne peuvent pas être retournés",
        "Pour des raisons d’hygiène ou légales, nous ne reprenons pas :\n\n"
        "- les cosmétiques et sous-vêtements ouverts ;\n- les articles personnalisés ou gravés ;\n"
        "- les cartes cadeaux et livres numériques.\n\n"
        "Un article défectueux peut toujours être retourné, quel qu’il soit.",
    ),
    (
        "faulty-item-warranty",
        "returns-refunds",
        PUBLIC,
        "My item is faulty: the warranty",
        "Every item has a **two-year** legal warranty. Write to us with the order number, a description of the "
        "fault and a photo or video. We repair, replace or refund it, and pay for the return.",
        "Mon article est défectueux : la garantie",
        "Chaque article bénéficie d’une garantie légale de **deux ans**. Écrivez-nous avec le numéro de "
        "commande, une description du défaut et une photo ou une vidéo. Nous le réparons, le remplaçons ou le "
        "remboursons, et prenons le retour à notre charge.",
    ),
    (
        "return-label-not-working",
        "returns-refunds",
        PUBLIC,
        "My return label does not work",
        "Labels expire after 14 days. Open the return in **My orders** and choose **New label**. If the post "
        "office still refuses it, write to us and we send a label by email.",
        "Mon étiquette de retour ne fonctionne pas",
        "Les étiquettes expirent au bout de 14 jours. Ouvrez le retour dans **Mes commandes** et choisissez "
        "**Nouvelle étiquette**. Si la poste la refuse encore, écrivez-nous et nous vous envoyons une "
        "étiquette par e-mail.",
    ),
    (
        "payment-methods",
        "billing-payments",
        PUBLIC,
        "Accepted payment methods",
        "We accept Visa, Mastercard, American Express, PayPal and bank transfer (for orders over 500 EUR). "
        "Your card is charged when the order ships, not when you place it.",
        "Moyens de paiement acceptés",
        "Nous acceptons Visa, Mastercard, American Express, PayPal et le virement (pour les commandes de plus "
        "de 500 EUR). Votre carte est débitée à l’expédition, pas au moment de la commande.",
    ),
    (
        "payment-declined",
        "billing-payments",
        PUBLIC,
        "My payment was declined",
        "- Check the card number, expiry date and security code.\n"
        "- Approve the payment in your bank's app if it asks (3-D Secure).\n"
        "- Your card may have an online or daily limit: your bank can raise it.\n\n"
        "Nothing is charged for a declined payment.",
        "Mon paiement a été refusé",
        "- Vérifiez le numéro de carte, la date d’expiration et le cryptogramme.\n"
        "- Validez le paiement dans l’application de votre banque si elle le demande (3-D Secure).\n"
        "- Votre carte a peut-être un plafond en ligne ou journalier : votre banque peut l’augmenter.\n\n"
        "Rien n’est débité pour un paiement refusé.",
    ),
    (
        "download-an-invoice",
        "billing-payments",
        PUBLIC,
        "Download an invoice",
        "Open the order in **My orders** and choose **Invoice (PDF)**. Invoices are available once the order "
        "has shipped. To add a company name or VAT number, fill them in under **Profile** before ordering.",
        "Télécharger une facture",
        "Ouvrez la commande dans **Mes commandes** et choisissez **Facture (PDF)**. Les factures sont "
        "disponibles une fois la commande expédiée. Pour ajouter un nom de société ou un numéro de TVA, "
        "renseignez-les dans **Profil** avant de commander.",
    ),
    (
        "charged-twice",
        "billing-payments",
        PUBLIC,
        "I was charged twice",
        "A second line is often a **pre-authorisation** that disappears within 7 days without being taken. "
        "If both amounts are still there after 7 days, write to us with a screenshot of your statement and we "
        "refund the duplicate at once.",
        "J’ai été débité deux fois",
        "Une seconde ligne est souvent une **pré-autorisation** qui disparaît sous 7 jours sans être "
        "prélevée. Si les deux montants sont toujours là après 7 jours, écrivez-nous avec une capture de votre "
        "relevé et nous remboursons aussitôt le doublon.",
    ),
    (
        "gift-cards-and-promo-codes",
        "billing-payments",
        PUBLIC,
        "Gift cards and promo codes",
        "Enter a gift card or a promo code in the **Code** box at checkout. Gift cards last 12 months and can "
        "pay part of an order; only one promo code applies per order, and not on gift cards.",
        "Cartes cadeaux et codes promo",
        "Saisissez une carte cadeau ou un code promo dans la case **Code** au moment du paiement. Les cartes "
        "cadeaux sont valables 12 mois et peuvent régler une partie de la commande ; un seul code promo "
        "s’applique par commande, et pas sur les cartes cadeaux.",
    ),
    (
        "reset-my-password",
        "account-security",
        PUBLIC,
        "Reset my password",
        "1. On the sign-in page choose **Forgot your password?**\n"
        "2. Enter your email address: we send a link valid for one hour.\n"
        "3. Choose a new password of at least 10 characters.\n\n"
        "No email? Check your spam folder, or ask for a sign-in link instead.",
        "Réinitialiser mon mot de passe",
        "1. Sur la page de connexion, choisissez **Mot de passe oublié ?**\n"
        "2. Saisissez votre adresse e-mail : nous envoyons un lien valable une heure.\n"
        "3. Choisissez un nouveau mot de passe d’au moins 10 caractères.\n\n"
        "Pas d’e-mail ? Regardez dans vos courriers indésirables, ou demandez plutôt un lien de connexion.",
    ),
    (
        "change-email-address",
        "account-security",
        PUBLIC,
        "Change the email address of my account",
        "Under **Profile** enter the new address and confirm it from the email we send there. Until you "
        "confirm, we keep writing to the old address, so nobody can take over your account by a typo.",
        "Changer l’adresse e-mail de mon compte",
        "Dans **Profil**, saisissez la nouvelle adresse et confirmez-la depuis l’e-mail que nous y envoyons. "
        "Tant que vous n’avez pas confirmé, nous écrivons à l’ancienne adresse : une faute de frappe ne peut "
        "pas livrer votre compte à quelqu’un d’autre.",
    ),
    (
        "delete-my-account",
        "account-security",
        PUBLIC,
        "Delete my account and my data",
        "Write to us from the email address of the account and ask for deletion. We delete your account within "
        "30 days; invoices are kept for 10 years because the law requires it, and nothing else.",
        "Supprimer mon compte et mes données",
        "Écrivez-nous depuis l’adresse e-mail du compte en demandant sa suppression. Nous supprimons le compte "
        "sous 30 jours ; les factures sont conservées 10 ans parce que la loi l’exige, et rien d’autre.",
    ),
    (
        "suspicious-email",
        "account-security",
        PUBLIC,
        "I received a suspicious email",
        "We never ask for your password or card number by email or phone. Do not click the links; forward the "
        "email to us and delete it. If you entered your password somewhere, "
        "[reset it](/portal/help/articles/reset-my-password/) now.",
        "J’ai reçu un e-mail suspect",
        "Nous ne demandons jamais votre mot de passe ni votre numéro de carte par e-mail ou par téléphone. Ne "
        "cliquez pas sur les liens ; transférez-nous l’e-mail puis supprimez-le. Si vous avez saisi votre mot "
        "de passe quelque part, [réinitialisez-le](/portal/help/articles/reset-my-password/) tout de suite.",
    ),
    (
        "newsletter-preferences",
        "account-security",
        PUBLIC,
        "Stop or change marketing emails",
        "Every newsletter has an **Unsubscribe** link at the bottom. Order and delivery emails are not "
        "marketing: they keep coming while you have orders in progress.",
        "Arrêter ou modifier les e-mails promotionnels",
        "Chaque newsletter comporte un lien **Se désabonner** en bas. Les e-mails de commande et de livraison "
        "ne sont pas promotionnels : ils continuent tant que vous avez des commandes en cours.",
    ),
    (
        "refund-limits-for-agents",
        "agent-playbook",
        INTERNAL,
        "Refund and goodwill limits",
        "- Agents refund up to **50 EUR** per order without approval.\n"
        "- Goodwill vouchers: up to **15 EUR** for a late parcel, **25 EUR** for a second incident.\n"
        "- Above that, add a note and escalate to L2 with the order number.\n\n"
        "Never refund to a different card than the one used.",
        "Plafonds de remboursement et gestes commerciaux",
        "- Les agents remboursent jusqu’à **50 EUR** par commande sans validation.\n"
        "- Bons d’achat : jusqu’à **15 EUR** pour un colis en retard, **25 EUR** pour un second incident.\n"
        "- Au-delà, ajoutez une note et escaladez au niveau L2 avec le numéro de commande.\n\n"
        "Ne remboursez jamais sur une autre carte que celle utilisée.",
    ),
    (
        "carrier-claims-process",
        "agent-playbook",
        INTERNAL,
        "Opening a claim with a carrier",
        "Open the claim in the carrier's portal the day the customer reports it: claims older than 21 days are "
        "refused. Attach the customer's photos, note the claim number on the ticket and set it to **On hold** "
        "until the carrier answers (5 working days on average).",
        "Ouvrir une réclamation auprès d’un transporteur",
        "Ouvrez la réclamation sur le portail du transporteur le jour du signalement : au-delà de 21 jours, "
        "elle est refusée. Joignez les photos du client, notez le numéro de réclamation sur le ticket et "
        "passez-le **En attente** jusqu’à la réponse du transporteur (5 jours ouvrés en moyenne).",
    ),
    (
        "fraud-signals",
        "agent-playbook",
        INTERNAL,
        "Signs of a fraudulent order",
        "Escalate to L3 without refunding when you see several of these: a new account with express delivery "
        "to a pick-up point, several cards tried, a billing country unlike the delivery country, or a claim of "
        "non-delivery on the first order.",
        "Signes d’une commande frauduleuse",
        "Escaladez au niveau L3 sans rembourser quand plusieurs de ces signes apparaissent : un compte récent "
        "avec livraison express en point relais, plusieurs cartes essayées, un pays de facturation différent "
        "du pays de livraison, ou une non-réception signalée dès la première commande.",
    ),
    (
        "tone-and-templates",
        "agent-playbook",
        INTERNAL,
        "Tone of voice in replies",
        "Address the customer by first name, say what happened and what happens next, with a date. Avoid "
        "jargon (“pre-authorisation” needs a sentence of explanation) and link the help-centre article that "
        "answers the question, so the customer can find it again.",
        "Le ton de nos réponses",
        "Appelez le client par son prénom, dites ce qui s’est passé et ce qui va suivre, avec une date. "
        "Évitez le jargon (« pré-autorisation » demande une phrase d’explication) et mettez le lien de "
        "l’article du centre d’aide qui répond à la question, pour que le client le retrouve.",
    ),
]


def demo_articles_load(*, actor: Any) -> int:
    """Write the demo's categories and articles that do not exist yet; how many articles were written."""
    categories = {category.slug: category for category in Category.objects.all()}
    for slug, position, english, french in CATEGORIES:
        if slug not in categories:
            categories[slug] = category_create(
                actor=actor, slug=slug, names={"en": english, "fr": french}, position=position
            )
    existing = set(Article.objects.values_list("slug", flat=True))
    written = 0
    for slug, category, visibility, en_title, en_body, fr_title, fr_body in ARTICLES:
        if slug in existing:
            continue
        article_create(
            actor=actor,
            slug=slug,
            category=categories[category],
            visibility=visibility,
            status=ArticleStatus.PUBLISHED,
            texts={"en": ArticleText(en_title, en_body), "fr": ArticleText(fr_title, fr_body)},
        )
        written += 1
    return written
