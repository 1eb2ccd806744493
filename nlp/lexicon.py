"""General-English word lists behind the rule components (no product-specific vocabulary)."""

from __future__ import annotations

# Lemmas (lower case) that carry an explicit positive evaluation; these also count as praise.
STRONG_POSITIVE = frozenset("""
great excellent amazing awesome fantastic fabulous wonderful superb outstanding brilliant incredible terrific
phenomenal stellar exceptional impressive impressed remarkable marvelous marvellous magnificent splendid perfect
love loved lovely adore best solid fab gorgeous beautiful delightful delighted thrilled stoked superb sublime
legend legendary hero rockstar star gem lifesaver champion
delicious tasty yummy cozy
helpful intuitive seamless seamlessly flawless flawlessly painless effortless elegant slick polished powerful
reliable dependable robust responsive knowledgeable patient friendly proactive professional courteous attentive
top-notch first-class world-class spot-on killer exemplary kudos bravo
excited excite enjoy enjoyed recommendable admire appreciate appreciated grateful thankful
perfectly beautifully flawlessly brilliantly wonderfully superbly fantastically amazingly thorough
""".split())

# Positive but lukewarm: makes a comment mixed next to a complaint, neutral on its own, never praise.
LUKEWARM = frozenset("""
ok okay fine decent alright acceptable adequate reasonable fair meh so-so average mediocre passable
satisfactory sufficient serviceable usable
""".split())

# Positive words that are real evaluations but too mild to count as praise.
MILD_POSITIVE = frozenset("""
good nice happy pleased glad satisfied like useful handy easy simple clean quick fast smooth cool neat
better improve improved improvement works worth valuable value convenient comfortable stable affordable
accurate nicely smoothly clear efficient effective fix fixed resolve resolved solve solved
comfy spacious fresh crisp
""".split())

NEGATIVE = frozenset("""
bad terrible horrible awful poor worst dreadful atrocious abysmal lousy crap crappy garbage trash rubbish junk
useless worthless pointless hopeless disappoint disappointed disappointing disappointment frustrate frustrated
frustrating frustration annoy annoyed annoying annoyance angry furious upset unhappy dissatisfied unacceptable
ridiculous absurd insane outrageous shameful pathetic joke nightmare mess disaster headache pain painful hate
dislike regret broken break buggy bug glitch glitchy crash crashes crashed fail failed failing failure error
errors issue outage down downtime slow sluggish laggy lag crawl freeze frozen hang stuck unreliable unstable
flaky inconsistent wrong incorrect inaccurate missing lost lose loss confusing confused confuse clunky clumsy
cluttered convoluted complicated complex cumbersome tedious awkward unintuitive dated outdated obsolete
difficult hard expensive overpriced pricey costly steep overcharge overcharged gouge scam rip-off ripoff
rude unhelpful unresponsive ignore ignored ignoring slow-to ghost ghosted neglect neglected delay delayed
late overdue lacking lack lacks limited weak poorly badly worse worsen degrade degraded problem problems
complaint complain struggle struggling concern concerned worry worried worrying risk blocker blocked block
fiasco chaos chaotic sloppy shoddy subpar inferior flawed defective faulty corrupt corrupted duplicate
duplicates misleading mislead overpromise overpromised unusable unworkable impossible inconvenient
nickel-and-diming squeezed shakedown spam spammy noisy bloated hassle offline bounce bounced drag thin
cons downside downsides weakness weaknesses gripe gripes unanswered unresolved unfixed overdue chaotic
broke crashing freezing lagging timeout timeouts disconnect disconnected outdated misleading
fiddly finicky missed disappeared vanished drains
bland stale soggy greasy tasteless dirty filthy grimy cramped flimsy overheat overheats overheating die dies died
damaged scratched dented cracked smashed leaking leaky smh wtf
""".split())

# Tokens that flip or cancel the polarity of the next few words.
NEGATORS = frozenset("not n't never no nothing nobody none neither nor without hardly barely cannot cant dont doesnt didnt isnt wasnt wont".split())

INTENSIFIERS = frozenset("very really so super extremely incredibly truly absolutely totally highly genuinely".split())

EMOJI_POSITIVE = "🙌❤😍🥰😀😃😄😁🙂😊👍👏🎉💯⭐🌟🔥💪🙏✨😎🤩♥💙💚"
EMOJI_NEGATIVE = "😵😡😠🤬👎😤😞😢😭💩🙄😒😩😫🤦"

# Phrases (lower-cased, matched on token lemmas) with a fixed evaluation.
POSITIVE_PHRASES = [
    "game changer", "game-changer", "night and day", "above and beyond", "went above and beyond", "worth every penny",
    "worth it", "worth the money", "pays for itself", "paid for itself", "saved us", "save us", "saves us",
    "saved me", "save me", "saving us", "saving me", "saved my", "can't imagine", "cannot imagine",
    "could not live without", "can't live without", "top notch", "second to none", "best in class",
    "best in the category", "blown away", "thumbs up", "a breeze", "on point", "spot on", "rock solid",
    "keep it up", "keep up the good work", "keep doing what you", "nailed it", "hats off", "shout out", "shoutout",
    "no regrets", "ease of use", "easy to use", "easy to learn", "quick to learn", "user friendly",
    "user-friendly", "cannot say enough", "can't say enough", "deserve a raise", "deserves a raise",
    "made my day", "life saver", "good value", "great value", "better than anything", "much better",
    "so much better", "just works", "just work", "works great", "works well", "works perfectly", "worked perfectly", "the reason we renewed",
    # informal admiration and effort, as people write it outside survey forms
    "you rock", "you guys rock", "you all rock", "y'all rock", "you're the best", "you are the best",
    "you guys are the best", "out of her way", "out of his way", "out of their way", "out of your way",
    "extra mile", "stayed late", "stay late", "worked late", "exactly what i needed", "exactly what we needed",
    "well done", "great job", "amazing job", "great work", "fantastic job", "so proud of",
    "respect to", "mad respect", "much respect", "props to", "big props", "hats off to", "to die for",
    "would die for", "i'd die for", "lasts all day", "last all day", "lasted all day",
]
NEGATIVE_PHRASES = [
    "rock bottom", "not here", "never arrived", "hasn't arrived", "has not arrived", "didn't arrive", "never came",
    "never showed up", "didn't show up", "never received", "didn't receive", "haven't received", "not received",
    "charged twice", "charged me twice", "double charged", "double-charged", "no refund", "won't refund",
    "why can't", "why won't", "why doesn't", "why isn't", "why does it keep", "why do i have to",
    "on hold for", "been on hold", "no signal", "no service",
    "wouldn't refund", "refused a refund", "refused to refund", "refused to help", "refused to fix",
    "refused to cancel",
    "not worth", "waste of", "never again", "doesn't work", "does not work", "don't work", "didn't work",
    "not working", "stopped working", "stop working", "keeps failing", "keep failing", "no response",
    "no reply", "never heard back", "haven't heard back", "still haven't", "still waiting", "still no",
    "no fix", "no one", "nobody", "takes forever", "take forever", "took forever", "way too", "too many",
    "too much", "too slow", "too expensive", "too long", "went wrong", "fed up", "sick of", "tired of",
    "losing faith", "lost faith", "let down", "let us down", "falls short", "fall short", "not great",
    "not good", "not happy", "not impressed", "not what was", "can't find", "cannot find", "couldn't find",
    "can't log", "can't access", "unable to", "locked out", "out of date", "hard to", "difficult to",
    "a lot of", "a joke", "what a mess", "what a joke", "what a waste", "what a nightmare", "what a disaster",
    "what a shame", "what a pain", "what a letdown", "what a downgrade", "not a priority", "behind a higher tier", "locked behind",
    "up in the air", "on our own", "a maze", "make stuff up", "makes stuff up", "nobody can", "no one can",
    "never shipped", "no notice", "without notice", "without warning", "no warning", "send twice", "sent twice",
    "charged twice", "drops orders", "dragged on", "drag on", "doesn't explain", "does not explain", "had to guess",
    "kept changing", "keeps changing", "no answer", "please fix", "pls fix", "please correct", "please escalate",
    "been waiting", "still chasing", "can't be", "cannot be", "can't get", "not possible", "isn't possible",
    "no way to", "zero follow", "no follow up", "no follow-up", "no one follows up", "been chasing", "can't work", "cannot work", "used to be great", "used to be good",
    "used to be better", "signs me out", "logged out", "capped at", "not loading", "won't load", "doesn't load", "isn't working",
]

# Request / wish markers: the clause asks for something; "love"/"great" inside it is not an evaluation.
REQUEST_PHRASES = [
    "please add", "pls add", "can you add", "could you add", "can we get", "could we get", "can you",
    "could you", "would you", "would love", "i'd love", "we'd love", "would like", "i'd like", "we'd like",
    "would be great if", "would be nice if", "it'd be great", "would be nice", "would be great", "would be a 10",
    "wish", "feature request", "would appreciate", "i'd appreciate", "we'd appreciate", "need a way", "needs a way", "we need", "i need", "need to be able",
    "please bring back", "bring back", "please make", "please stop", "please allow",
    "please let", "one ask", "one request", "small ask", "please integrate", "please support", "would be great to have", "would be nice to have", "would be great to", "would be nice to",
    "it'd be nice", "it'd be great", "add a", "add an", "add the ability", "would help", "would really help", "i'd pay extra",
    "only ask", "only thing", "only gripe", "only wish", "it would be", "would be even better",
    "is there a way", "is there any way", "any plans", "on the roadmap", "is there a roadmap",
]

# Lukewarm-positive phrases ("does the job"): evaluations, but not praise.
LUKEWARM_PHRASES = [
    "does the job", "gets the job done", "does what it says", "does exactly what it says",
    "does exactly what we need", "does exactly what i need", "works as described", "works as advertised",
    "as advertised", "as described", "does what we need", "does what i need",
    "does its job", "good enough", "not bad", "can't complain", "it works", "works fine", "works ok",
    "it's fine", "its fine", "kind of meh", "nothing special", "pretty happy", "overall happy", "overall good",
]

# Positive without praise per the guidelines ("no complaints", "all good").
CONTENT_PHRASES = ["no complaints", "nothing to complain", "all good", "happy with the choice", "happy customer"]

# Gratitude strong enough to be praise ("thanks so much", "appreciate the quick help"); a bare "thanks" is not.
GRATITUDE_PHRASES = [
    "thanks so much", "thank you so much", "thanks a lot", "thanks a ton", "many thanks", "huge thanks",
    "big thanks", "thanks again for", "thank you again for", "really appreciate", "much appreciated", "greatly appreciated", "really appreciated",
    "appreciate the", "appreciate it", "appreciate your", "appreciate you", "thank you properly",
    "you're a star", "you are a star", "deserve the credit", "deserves the credit", "whatever you did, thank you",
    "grateful", "thankful", "thank you for", "thanks for",
]

SARCASM_CUES = ["really inspires confidence", "inspires confidence", "obviously", "thanks for nothing",
                "good job breaking", "great job breaking", "what a surprise", "shocking", "yeah right",
                "pick two", "you managed"]

# Praise targets.
SUPPORT_WORDS = frozenset("""
support helpdesk help-desk ticket tickets agent agents technician tech chat chatbot escalation service
""".split())
SUPPORT_PHRASES = ["customer service", "customer support", "support team", "support crew", "support staff",
                   "help desk", "service desk", "tech support", "from support", "on the support team"]
COMPANY_PHRASES = ["the team", "your team", "the company", "great company", "the people", "you guys", "your company",
                   "great partner", "vendor partner", "best vendor", "customer success team", "cs team",
                   "onboarding team", "implementation team", "account team", "success team", "product team",
                   "love the team", "team is great", "team is responsive", "the team ships", "you all",
                   "y'all", "the staff", "your staff", "great partner", "training program", "training programme",
                   "partner", "vendor", "the company", "the folks", "your people", "whole team", "entire team",
                   "job team", "onboarding crew", "success crew", "implementation crew"]
# Programmes rather than people: a company target only when no named person is praised in the clause.
PROGRAMME_PHRASES = ["training sessions", "training session", "webinars", "workshop", "workshops",
                     "training program", "training programme", "onboarding program", "onboarding programme"]

# Referral cues (lemma patterns are built from these in rules.py).
REFERRAL_PHRASES = [
    "recommend", "recommended", "recommending", "refer", "referred", "referral", "referring",
    "reference customer", "be a reference", "a reference", "reference call", "case study", "testimonial",
    "leave a review", "write a review", "leave a g2", "g2 review", "capterra review", "review on g2",
    "told everyone", "told my", "told our", "told a", "told two", "told three", "told several", "told people",
    "tell everyone", "told a few", "told some", "spread the word", "pitched", "pointed", "introduced you",
    "count me in", "talk to any prospect", "talk to prospects", "talk to any of your prospects", "happy to talk",
    "customer panel", "speak at", "speaker", "webinar", "panel", "vouch", "sing your praises", "evangelist",
    "get other teams", "got two other teams", "other teams at our company to sign", "sent your case study",
    "mentioned you", "word of mouth", "take the call",
]

# Churn cues; competitor or alternative mentions are matched in rules.py.
CHURN_PHRASES = [
    "cancel", "cancelling", "canceling", "cancelled", "canceled", "cancellation", "not renew", "not renewing",
    "won't renew", "will not renew", "will not be renewing", "won't be renewing", "not going to renew",
    "decided not to renew", "don't renew", "can't defend the renewal", "whether we should renew",
    "leave", "leaving", "we're done", "we are done", "we're out", "we are out", "look elsewhere", "looking elsewhere",
    "alternatives", "alternative", "other options", "other vendors", "other tools", "competitor", "competitors",
    "switching to", "switch to", "moving to", "move to", "migrating to", "migrate to", "signed with",
    "evaluating", "evaluation of", "re-evaluate", "reevaluate", "considering", "looking at", "trialing",
    "trialling", "piloting", "talking to", "rfp", "final warning", "churn", "never again", "replace you",
    "replacing you", "giving it until", "until renewal", "end our contract", "terminate", "termination",
    "haven't left", "not staying", "jump ship", "walk away",
]
CHURN_EXCLUSIONS = [
    "switched from", "moved from", "migrated from", "switched to you", "moved to you", "switching would be",
    "would have left", "we'd have left", "we would have left", "we'd probably have left", "left the company",
    "leave a review", "leave a g2", "left a review", "leave feedback", "leave a comment", "cancel my subscription to the newsletter",
    "impossible to leave", "without him we'd", "without her we'd",
]

# Words that are capitalised but are never people's names in feedback.
NOT_NAMES = frozenset("""
i i'm i've i'd i'll im ive a an the this that these those it its it's we we're our us you your you're they their
he she his her him my me mine our ours and or but so yet if then when while though although however because since
hi hey hello dear thanks thank thx cheers best regards kind warm sincerely br rgds regards greetings morning
good afternoon evening all team folks everyone everybody guys yes no nope ok okay please pls sorry
monday tuesday wednesday thursday friday saturday sunday january february march april may june july august
september october november december jan feb mar apr jun jul aug sep sept oct nov dec
q1 q2 q3 q4 ceo cfo cto coo cro cmo vp svp evp head director manager admin csm am ae sdr bdr pm it hr ops
api ui ux sso saml scim mfa sla qbr rfp roi csv pdf eu us uk usa emea apac latam gdpr soc iso dpa hipaa
update urgent important note fyi re fw update overall honestly seriously literally also still just really
great good love loved fantastic amazing awesome excellent terrible horrible slow fast easy hard
support product customer customers client clients sales marketing finance legal engineering security
reports report dashboard dashboards pipeline pipelines forecast forecasting forecasts workflow workflows
mobile app apps android ios iphone ipad windows mac linux chrome firefox safari edge web
pros cons strengths weaknesses downsides upsides verdict summary rating stars star
what why how where who which whose whom can could would should will shall must might do does did is are was
were be been being have has had get got not never nothing every each any some many much more most few other
one two three four five six seven eight nine ten first second third last next new old
internet email emails english german french spanish covid
""".split())

# Lower-case lead words after which a capitalised token is very likely a person ("thanks Maria", "our CSM Nico").
PERSON_BEFORE = frozenset("""
hi hey hello dear thanks thank cheers shoutout shout-out kudos congrats csm am manager rep representative agent
specialist consultant engineer coordinator lead owner ceo cto founder colleague boss
""".split())
PERSON_SIGNOFF = frozenset("best regards cheers thanks thank sincerely br rgds warmly kind warm".split())
# Verbs / words that follow a person's name as subject ("Maria was", "Tom went above and beyond").
PERSON_AFTER = frozenset("""
was is has had have did does went made helped solved fixed explained walked stayed handled knows knew fought
got took set showed answered responded replied jumped turned listened deserves deserved and
""".split())
# "<Name> on your support desk", "<Name> from the onboarding team"
ROLE_AFTER_RE = r"^(on|from|in|at|of)( the| your| our)? (support|success|customer|onboarding|sales|account|implementation|billing|help|service|solutions|partner|cs|technical|tech)\b"
ROLE_AFTER_NAME = ["from support", "on the support team", "from the support team", "on the onboarding side",
                   "from customer success", "in support", "on support", "from your team", "from sales",
                   "and the support", "and the team", "and the support crew"]
