"""The guideline's cards as shipped: written from "Retningslinje for forebyggelse af vold og krænkende
handlinger, herunder mobning og seksuel chikane" (Danish wording kept close to the original) and its
English restatement. The admin can edit every card per language; an edit replaces the default."""

from __future__ import annotations

from dataclasses import dataclass

LOCALES = ("da", "en")


@dataclass(frozen=True)
class DefaultCard:
    slug: str
    position: int
    title: dict[str, str]
    body: dict[str, str]


DEFAULT_CARDS: tuple[DefaultCard, ...] = (
    DefaultCard(
        "home-visit",
        10,
        {"da": "Før et hjemmebesøg", "en": "Before a home visit"},
        {
            "da": """Forebyggelse ved møder uden for huset:

1. Er der forandringer hos borgeren, som gør at du bliver usikker/utryg?
2. Giv besked til en kollega, og evt. vagt, hvis du ikke føler dig tryg.
3. Overvej, om du vil have den mobile overfaldsalarm med.
4. Er der forhold som gør, at der skal være 2 kollegaer med på besøget?
5. Sørg for at dine kollegaer ved hvor du er, og meld tilbage til en kollega, når mødet er overstået. \
Det er det, Makker hjælper med: start besøget, og tjek ud, når du er færdig.
6. Det kan også være en god idé at bede en kollega om at forstyrre mødet på et bestemt tidspunkt.
7. Brug altid den sunde fornuft – også når du planlægger møder uden for huset.
""",
            "en": """Prevention at meetings outside the office:

1. Has something changed about the citizen that makes you unsure or unsafe?
2. Tell a colleague, and a guard if there is one, if you do not feel safe.
3. Consider taking the mobile assault alarm with you.
4. Is there anything that means two colleagues should go on the visit?
5. Make sure your colleagues know where you are, and report back to a colleague when the meeting is \
over. That is what Makker helps with: start the visit, and check out when you are done.
6. It can also be a good idea to ask a colleague to interrupt the meeting at an agreed time.
7. Always use common sense, also when you plan meetings outside the office.
""",
        },
    ),
    DefaultCard(
        "before-meeting",
        20,
        {"da": "Før ethvert møde", "en": "Before any meeting"},
        {
            "da": """- Tænk først og fremmest over din egen sikkerhed.
- Overvej før mødet, hvor du placerer dig i rummet ift. borgeren og flugtvej.
- Tjek placering af overfaldsalarm – den skal være inden for din rækkevidde.
- Hvis muligt, forbered dig mentalt på samtalen – hvilken slags borger er det, og hvad er \
problemstillingen?
- Planlæg altid møderne i den normale åbningstid. Er dette ikke muligt, skal du sikre dig, at du ikke \
er alene.
- Gå til AMR og/eller kontorleder, hvis du har en borger, som gør dig usikker/utryg – det er okay at \
sige det højt.
- Gå til din kontorleder, hvis du tænker, at du mangler viden/forståelse omkring, hvad din rolle i \
arbejdet er, og hvad dine handlemuligheder er.

Når borgeren føler sig hørt, anerkendt og inddraget, mindskes risikoen for krænkende adfærd.
""",
            "en": """- Think of your own safety first.
- Before the meeting, consider where you sit in the room relative to the citizen and your way out.
- Check where the assault alarm is: it must be within your reach.
- If possible, prepare yourself mentally: what kind of citizen is it, and what is the problem?
- Always plan meetings within normal opening hours. If that is not possible, make sure you are not \
alone.
- Go to your AMR and/or kontorleder if a citizen makes you unsure or unsafe: it is fine to say it \
out loud.
- Go to your kontorleder if you feel you lack knowledge about your role and your options.

A citizen who feels heard, recognised and involved is less likely to offend.
""",
        },
    ),
    DefaultCard(
        "when-it-happens",
        30,
        {"da": "Når det sker", "en": "When it happens"},
        {
            "da": """Hvad gør du, hvis du oplever eller er vidne til vold og/eller krænkende handlinger?

### Direkte borgerkontakt – personlig og telefonisk
- Forsøg at få ro over situationen.
- Brug din viden om konfliktnedtrapning.
- Hav kontrol over situationen – ikke borgeren.
- Hvis du fornemmer, at borgeren ændrer adfærd, så træk dig og afslut samtalen.
- Brug evt. overfaldsalarmen.
- Kontakt kontorleder og AMR.
- Ved behov, tilkald politiet: ring 112.

### Indirekte borgerkontakt – mail og andre digitale medier
- Gå ikke i dialog med krænkeren.
- Kontakt kontorleder og AMR.

### Internt på arbejdspladsen – mobning
- Hvis du oplever, eller er vidne til, vold/krænkende handlinger, er det vigtigt, at du griber ind.
- Der er udarbejdet en retningslinje for forebyggelse og håndtering af mobning. Den finder du på \
Medarbejderportalen.
- Kontakt kontorleder og AMR.

### Uden for arbejdstid
Kontakt altid kontorleder og AMR, hvis du oplever vold og/eller krænkende handlinger uden for \
arbejdstiden. Der skal, og vil blive, taget hånd om dine oplevelser på samme måde, som hvis \
hændelsen havde været i arbejdstiden.
""",
            "en": """What do you do if you experience or witness violence and/or offensive acts?

### In person or by phone
- Try to calm the situation.
- Use what you know about de-escalation.
- Keep control of the situation, not the citizen.
- If you sense that the citizen's behaviour changes, withdraw and end the conversation.
- Use the assault alarm if needed.
- Contact your kontorleder and AMR.
- If needed, call the police: 112.

### By mail and other digital media
- Do not answer the offender or enter into a dialogue.
- Contact your kontorleder and AMR.

### Internally – bullying
- If you experience or witness violence or offensive acts, it is important that you intervene.
- There is a separate guideline on preventing and handling bullying on the employee portal \
(Medarbejderportalen).
- Contact your kontorleder and AMR.

### Outside working hours
Always contact your kontorleder and AMR if you experience violence and/or offensive acts outside \
working hours. Your experience must and will be taken care of exactly as if it had happened during \
working hours.
""",
        },
    ),
    DefaultCard(
        "registration",
        40,
        {"da": "Registrering", "en": "Registration"},
        {
            "da": """Alle trusler, krænkende handlinger, voldsepisoder, nærved- og arbejdsulykker skal \
registreres i SafetyNet – det gøres sammen med AMR eller arbejdsmiljølederen.

Det gøres hurtigst muligt. Skriv evt. selv et notat straks efter hændelsen, så er det lettere at \
huske, når det skal indberettes i SafetyNet.
""",
            "en": """Every threat, offensive act, episode of violence, near-miss (nærved-hændelse) and \
work accident must be registered in SafetyNet, together with your AMR or the work-environment leader.

Do it as soon as possible. Write a note yourself straight after the incident: it makes it easier to \
remember when it is registered in SafetyNet.
""",
        },
    ),
    DefaultCard(
        "who-does-what",
        50,
        {"da": "Hvem gør hvad", "en": "Who does what"},
        {
            "da": """Det er lederen, der har ansvaret for, at

- der tages hånd om medarbejderen,
- der iværksættes hjælpeforanstaltninger,
- arbejdsmiljøgruppen orienteres,
- hændelsen indberettes i SafetyNet, og
- der evt. laves en politianmeldelse.

Du kan også selv vælge at politianmelde hændelsen.

Tag en snak med din AMR og/eller kontorleder, hvis du er i tvivl. Det er din oplevelse af handlingen, \
der bestemmer, om der er tale om vold/krænkende handlinger eller ej.
""",
            "en": """The leader is responsible for making sure that

- the employee is taken care of,
- help measures are started,
- the work-environment group is informed,
- the incident is registered in SafetyNet, and
- a police report is made where relevant.

You may also report the incident to the police yourself.

Talk to your AMR and/or kontorleder if you are in doubt. It is your own experience that decides \
whether something was violence or an offensive act.
""",
        },
    ),
    DefaultCard(
        "afterwards",
        60,
        {"da": "Bagefter: hjælp", "en": "Afterwards: help"},
        {
            "da": """Der er tilbud om akut krisehjælp i Trivselsordningen. Du kan læse mere på \
Medarbejderportalen.

Har du brug for akut krisehjælp, så ring på telefonnummer [87 10 89 00](tel:87108900) (Human House).

Derudover er der kolleger, som kan yde den første psykiske førstehjælp. Du finder dem under Hjælp, \
eller du kan kontakte din kontorleder eller AMR.

Tag gerne imod tilbuddet om en støttende samtale – husk, at reaktionen kan komme forsinket.
""",
            "en": """Acute crisis help is offered through the wellbeing scheme (Trivselsordningen). Read \
more on the employee portal (Medarbejderportalen).

If you need acute crisis help, call [87 10 89 00](tel:87108900) (Human House).

Some colleagues are trained in psychological first aid. You find them under Help, or ask your \
kontorleder or AMR.

Accept the offer of a supportive conversation: remember that reactions can come later.
""",
        },
    ),
)

BY_SLUG = {card.slug: card for card in DEFAULT_CARDS}
