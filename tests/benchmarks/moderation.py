"""`python -m tests.benchmarks.moderation`: what moderation adds to a submission, in µs.

A submission's texts (description and address) are masked once for the public copy and
checked against the pre-moderation list, at write time. This times, on realistic texts in the
five languages (most with no personal data, some with a phone, a plate, a name, an IBAN...):
- the masking a submission paid before (e-mail addresses and phone numbers only);
- the masking it pays now (plates, IBAN, NIR, cards, names after a civility too);
- the pre-moderation check (the shipped list of words, all languages);
each as the fastest of several rounds, in µs per submission. The end-to-end effect on
`reportCreate` throughput is measured with `python -m tests.benchmarks --scenarios
trivial,reportCreate` on this branch and on the one before (see the README).
"""

from __future__ import annotations

import argparse
import random
import re
import time
from collections.abc import Callable, Sequence

from service.masking import mask_personal_data
from service.moderation.terms import held_term

# The masking of the public copy before this change: e-mail addresses and phone numbers.
_OLD_EMAIL = re.compile(r"[\w.%+\-]+@[\w\-]+(?:\.[\w\-]+)+")
_OLD_PHONE = re.compile(
    r"(?<![\w+])(?:(?:\+|00)\s?\d{1,3}[\s.\-]?(?:\(0\)[\s.\-]?)?[1-9]|0[1-9])"
    r"(?:[\s.\-]?\d{2}){4}(?!\d)"
)


def old_masking(text: str) -> str:
    return _OLD_PHONE.sub("[…]", _OLD_EMAIL.sub("[…]", text))


PLAIN = [
    "L'éclairage public ne fonctionne plus rue Saint-Aubin depuis trois jours : le lampadaire "
    "devant le numéro 12 clignote puis s'éteint.",
    "Nid-de-poule profond devant l'arrêt de bus, dangereux pour les vélos, depuis le 12/05.",
    "Dépôt sauvage de matelas et de gravats au bout de l'impasse des Tilleuls, 49130.",
    "Fuite d'eau importante sur le trottoir, l'eau coule depuis ce matin au 45 bd Foch.",
    "Street lights are broken on the bridge, it is very dark at night.",
    "Las farolas de la calle están rotas desde el lunes.",
    "Die Straßenlaternen in der Rue Saint-Aubin sind seit Tagen kaputt.",
    "الإنارة العامة معطلة في الشارع منذ أسبوع",
    "Conteneurs à verre pleins depuis une semaine, merci. Même chose que ALM-2026-004217.",
]
PERSONAL = [
    "Conteneurs pleins, appelez-moi au 06 12 34 56 78 ou jean.dupont@example.org",
    "La voiture AB-123-CD de M. Dupont est garée sur le trottoir tous les soirs.",
    "Remboursez la fourrière sur FR76 3000 6000 0112 3456 7890 189, Mme Martin.",
    "Herr Müller parkt sein Auto mit Kennzeichen 1234 AB 49 vor der Einfahrt.",
]


def corpus(size: int, seed: int, personal_share: float) -> list[str]:
    """Descriptions as residents write them: mostly plain, some with personal data, a
    few longer ones (several sentences)."""
    rng = random.Random(seed)
    texts = []
    for _ in range(size):
        pool = PERSONAL if rng.random() < personal_share else PLAIN
        sentences = rng.choice((1, 1, 1, 2, 3))
        texts.append(" ".join(rng.choice(pool) for _ in range(sentences)))
    return texts


def per_text_us(work: Callable[[str], object], texts: list[str], rounds: int) -> float:
    """The fastest of ``rounds`` rounds, in µs per text."""
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        for text in texts:
            work(text)
        timings.append((time.perf_counter() - started) / len(texts) * 1e6)
    return min(timings)  # the least disturbed round (the machine is shared)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=5_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--personal-share", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    texts = corpus(args.texts, args.seed, args.personal_share)
    address = "12 rue Lenepveu"  # pre-moderation reads the address too
    rows = [
        # At write time the description is masked (the address is masked when read).
        ("masking before (e-mails, phones)", old_masking),
        ("masking now (all rules)", mask_personal_data),
        ("pre-moderation check", lambda t: (held_term(t, "mairie-49007"), held_term(address, ""))),
        (
            "now: masking + pre-moderation",
            lambda t: (mask_personal_data(t), held_term(t, "mairie-49007"), held_term(address, "")),
        ),
    ]
    print(
        f"{args.texts:,} submissions (description + address), "
        f"{args.personal_share:.0%} with personal data, fastest of {args.rounds} rounds"
    )
    results = {name: per_text_us(work, texts, args.rounds) for name, work in rows}
    for name, value in results.items():
        print(f"  {name:<36} {value:8.1f} µs per submission")
    added = results["now: masking + pre-moderation"] - results["masking before (e-mails, phones)"]
    print(f"  {'added by this change':<36} {added:8.1f} µs per submission")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
