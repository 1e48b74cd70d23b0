"""Swedish texts (the default language)."""

MESSAGES: dict[str, str] = {
    "bot.name": "DalaLab",
    "bot.short_description": "Lärprojekt i DalaLab: anmälan, påminnelser, utvärdering och erfarenhetsutbyte.",
    "bot.full_description": (
        "DalaLab-boten hjälper Region Dalarna att driva lärprojekt för kommunernas tjänstepersoner: "
        "anmälan till träffar, påminnelser, utvärdering efter varje träff, kommunexempel, hemuppgifter, "
        "triadsamtal och fortsatt erfarenhetsutbyte i alumnkanalen."
    ),
    "welcome.title": "Hej och välkommen till DalaLab!",
    "welcome.body": (
        "Jag är DalaLabs assistent för lärprojekten. Här kan du anmäla dig till träffar, få påminnelser, "
        "svara på utvärderingar och dela exempel från din kommun."
    ),
    "welcome.channel_hint": "I kanalen nämner du mig med @ följt av kommandot, till exempel @DalaLab hjälp.",
    "welcome.help_hint": "Skriv **hjälp** så ser du allt du kan göra.",
    "welcome.action.help": "Visa vad jag kan göra",
    "help.title": "Det här kan du göra",
    "help.coordinator_title": "För samordnare",
    "help.channel_hint": "I kanalen: skriv @DalaLab före kommandot.",
    "help.argument": "{command} <{argument}>",
    "command.hjälp.help": "Visar vad du kan göra",
    "command.om.help": "Vad DalaLab är och vem som står bakom",
    "about.text": (
        "DalaLab är Region Dalarnas forum för ett hållbart Dalarna. I lärprojekten möts kommunernas "
        "tjänstepersoner för att lära av varandra: kunskapspass, triadsamtal, kommunexempel och "
        "erfarenhetsutbyte. Jag sköter det praktiska i Teams."
    ),
    "unknown.text": "Jag förstod inte \"{text}\". Skriv **hjälp** så ser du vad jag kan göra.",
    "unknown.empty": "Hej! Skriv **hjälp** så ser du vad jag kan göra.",
    "error.technical": "Tekniskt fel, försök igen om en stund.",
    "error.not_allowed": "Det kommandot är bara för samordnare.",
    "card.unknown_action": "Den knappen känner jag inte igen. Skriv **hjälp** för att se vad du kan göra.",
}
