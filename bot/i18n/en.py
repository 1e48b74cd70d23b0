"""English texts, used when the Teams locale is English."""

MESSAGES: dict[str, str] = {
    "bot.short_description": "DalaLab learning projects: registration, reminders, evaluation and exchange.",
    "welcome.title": "Hello and welcome to DalaLab!",
    "welcome.body": (
        "I am DalaLab's assistant for the learning projects. Here you can register for meetings, get "
        "reminders, answer evaluations and share examples from your municipality."
    ),
    "welcome.channel_hint": "In the channel, mention me with @ followed by the command, e.g. @DalaLab help.",
    "welcome.help_hint": "Type **help** to see everything you can do.",
    "welcome.action.help": "Show what I can do",
    "help.title": "What you can do",
    "help.coordinator_title": "For coordinators",
    "help.channel_hint": "In the channel: type @DalaLab before the command.",
    "command.hjälp.help": "Shows what you can do",
    "command.om.help": "What DalaLab is and who runs it",
    "about.text": (
        "DalaLab is Region Dalarna's forum for a sustainable Dalarna. In the learning projects municipal "
        "officials meet to learn from each other: knowledge sessions, triad conversations, municipal "
        "examples and exchange. I take care of the practical parts in Teams."
    ),
    "unknown.text": "I did not understand \"{text}\". Type **help** to see what I can do.",
    "unknown.empty": "Hello! Type **help** to see what I can do.",
    "error.technical": "Technical error, please try again in a moment.",
    "error.not_allowed": "That command is for coordinators only.",
    "card.unknown_action": "I do not recognise that button. Type **help** to see what you can do.",
}
