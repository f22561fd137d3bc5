"""American spelling in what a client reads: the British forms the project once wrote.

A US advisor sends the report to a US investor without editing it, so every text a client sees
(report, explorer, CLI tables and JSON texts, workbook labels, the rules data and the sources
the appendix prints) is written in American English.  Identifiers keep their spelling: the
scenario file's ``owner.licence``, ``capacity.utilisation`` and ``hiring.trigger_utilisation``,
the JSON key ``compliance.licence``, condition ids such as ``fl_clinic_licence``.  So
:func:`british` skips a word joined to an identifier (``_``, ``.``, a key's ``:``, quotes
around it).
"""

from __future__ import annotations

import re

#: Stems whose British ``-ise``/``-isation`` forms are written ``-ize``/``-ization``.
_IZE = ("summar annual recogn util normal real priorit capital minim maxim optim central "
        "standard item categor emphas character general special author critic final initial "
        "serial parameter vector visual material synchron local custom legal harmon sanit "
        "organ modern equal neutral symbol amort").split()
BRITISH = sorted({
    *(s + suffix for s in _IZE for suffix in ("ise", "ised", "ises", "ising", "isation")),
    *(s + suffix for s in ("favour", "colour", "behaviour", "labour", "honour", "neighbour")
      for suffix in ("", "s", "ed", "ing", "able", "ite")),
    "analyse", "analysed", "analysing", "licence", "licences", "practise", "practised",
    "practising", "modelled", "modelling", "labelled", "labelling", "cancelled", "travelled",
    "totalled", "centre", "centres", "programme", "programmes", "judgement", "whilst",
    "amongst", "defence", "offence", "catalogue", "enrolment", "fulfil", "fulfilment",
    "instalment", "grey", "ageing", "learnt", "spelt", "artefact", "per cent",
})
_WORD = re.compile(r"(?<![\w.'\"`])(?<!--)(" + "|".join(map(re.escape, BRITISH)) + r")(?![\w:'\"`])",
                   re.IGNORECASE)
_URL = re.compile(r"(?:https?://|www\.)\S+")


def british(text: str) -> list[str]:
    """The British spellings in ``text`` (prose only: not in URLs or identifiers), each with a
    little of its context."""
    text = _URL.sub(" ", text)
    return [text[max(0, m.start() - 30):m.end() + 30].replace("\n", " ")
            for m in _WORD.finditer(text)]
