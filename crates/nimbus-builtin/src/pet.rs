//! random-pet: readable random names from embedded word lists.

use crate::schema::MAX_PET_LENGTH;
use nimbus_provider::ProviderError;
use nimbus_provider::attrs::{Field, int_field, string_field};
use nimbus_provider::nimbus_value::Value;
use rand::RngCore;

const ADVERBS: &[&str] = &[
    "ably",
    "actually",
    "adequately",
    "amazingly",
    "amply",
    "boldly",
    "brightly",
    "briefly",
    "calmly",
    "carefully",
    "cheaply",
    "cheerfully",
    "cleanly",
    "clearly",
    "closely",
    "cleverly",
    "correctly",
    "curiously",
    "daily",
    "deadly",
    "deeply",
    "definitely",
    "deftly",
    "eagerly",
    "early",
    "easily",
    "evenly",
    "exactly",
    "fairly",
    "finally",
    "firmly",
    "freely",
    "frankly",
    "fully",
    "gently",
    "genuinely",
    "gladly",
    "gratefully",
    "greatly",
    "happily",
    "hardly",
    "highly",
    "honestly",
    "hopefully",
    "humbly",
    "immensely",
    "increasingly",
    "initially",
    "jointly",
    "justly",
    "keenly",
    "kindly",
    "largely",
    "lately",
    "lightly",
    "literally",
    "loudly",
    "lovingly",
    "luckily",
    "mainly",
    "merely",
    "mildly",
    "mostly",
    "mutually",
    "namely",
    "nationally",
    "naturally",
    "nearly",
    "neatly",
    "newly",
    "nicely",
    "notably",
    "openly",
    "partly",
    "patiently",
    "politely",
    "poorly",
    "possibly",
    "presently",
    "promptly",
    "properly",
    "proudly",
    "quickly",
    "quietly",
    "rapidly",
    "rarely",
    "readily",
    "really",
    "recently",
    "regularly",
    "reliably",
    "remarkably",
    "safely",
    "seemingly",
    "sharply",
    "simply",
    "sincerely",
    "slowly",
    "smoothly",
    "softly",
    "solely",
    "specially",
    "steadily",
    "strictly",
    "strongly",
    "subtly",
    "suddenly",
    "surely",
    "swiftly",
    "tightly",
    "totally",
    "truly",
    "usefully",
    "usually",
    "vastly",
    "virtually",
    "warmly",
    "weekly",
    "wholly",
    "widely",
    "wildly",
    "wisely",
    "yearly",
];

const ADJECTIVES: &[&str] = &[
    "able", "active", "adapted", "adjusted", "allowed", "amazed", "amused", "apt", "awake",
    "aware", "balanced", "big", "blessed", "bold", "brave", "bright", "brief", "busy", "calm",
    "capable", "careful", "champion", "charming", "cheerful", "choice", "civil", "classic",
    "clean", "clear", "clever", "close", "communal", "complete", "cool", "correct", "cosmic",
    "crack", "creative", "credible", "crisp", "cuddly", "curious", "cute", "daring", "dear",
    "decent", "deep", "direct", "divine", "driven", "dynamic", "eager", "easy", "elegant",
    "enabled", "equal", "ethical", "exact", "excited", "expert", "fair", "famous", "fancy", "fast",
    "fine", "firm", "fit", "fleet", "flowing", "fluent", "flying", "fond", "frank", "free",
    "fresh", "friendly", "full", "funny", "gentle", "genuine", "giving", "glad", "golden", "good",
    "grand", "grateful", "great", "growing", "handy", "happy", "hardy", "harmless", "healthy",
    "helped", "helpful", "hip", "holy", "honest", "hopeful", "humane", "humble", "ideal",
    "immense", "infinite", "innocent", "inviting", "joint", "just", "keen", "kind", "known",
    "large", "lasting", "legal", "liberal", "light", "literate", "live", "living", "logical",
    "loved", "loving", "loyal", "lucky", "magical", "main", "major", "many", "master", "mature",
    "merry", "mighty", "modern", "modest", "moral", "moved", "musical", "natural", "neat",
    "needed", "neutral", "new", "nice", "nimble", "noble", "normal", "notable", "novel", "open",
    "optimal", "patient", "peaceful", "perfect", "pleasant", "pleased", "polished", "polite",
    "popular", "positive", "possible", "precious", "present", "pretty", "prime", "proper", "proud",
    "quick", "quiet", "rapid", "rare", "ready", "real", "regular", "relaxed", "relevant",
    "resolved", "rich", "right", "robust", "safe", "saved", "secure", "select", "sharp", "shining",
    "simple", "sincere", "smart", "smooth", "social", "solid", "sound", "special", "splendid",
    "stable", "steady", "still", "strong", "sunny", "super", "sure", "sweet", "swift", "tender",
    "thankful", "tidy", "tight", "topical", "tough", "trusted", "trusty", "unique", "united", "up",
    "upright", "useful", "valid", "vast", "vital", "warm", "wanted", "welcome", "well", "whole",
    "willing", "winning", "wise", "witty", "wondrous", "worthy", "young",
];

const NAMES: &[&str] = &[
    "adder", "alpaca", "anchovy", "ant", "antelope", "ape", "baboon", "badger", "barnacle", "bass",
    "bat", "bear", "beaver", "bee", "beetle", "bison", "boa", "bobcat", "buck", "buffalo", "bug",
    "bull", "bunny", "buzzard", "calf", "camel", "caribou", "cat", "catfish", "cattle", "chamois",
    "cheetah", "chicken", "chimp", "chipmunk", "clam", "cobra", "cod", "collie", "condor", "coral",
    "cougar", "cow", "coyote", "crab", "crane", "crayfish", "cricket", "crow", "cub", "deer",
    "dingo", "dodo", "doe", "dog", "dolphin", "donkey", "dory", "dove", "dragon", "duck", "eagle",
    "eel", "egret", "elk", "emu", "falcon", "fawn", "ferret", "finch", "fish", "flamingo", "flea",
    "fly", "foal", "fowl", "fox", "frog", "gannet", "gator", "gazelle", "gecko", "gelding",
    "gibbon", "giraffe", "gnat", "gnu", "goat", "goldfish", "goose", "gopher", "gorilla", "grouse",
    "gull", "haddock", "halibut", "hamster", "hare", "hawk", "hen", "heron", "herring", "hippo",
    "hog", "hornet", "horse", "hound", "husky", "hyena", "ibex", "iguana", "impala", "jackal",
    "jaguar", "jay", "jaybird", "joey", "kangaroo", "kid", "kingfish", "kit", "kite", "kitten",
    "kiwi", "koala", "krill", "lab", "lacewing", "ladybug", "lamb", "lark", "leech", "lemming",
    "lemur", "leopard", "liger", "lion", "lionfish", "lizard", "llama", "lobster", "locust",
    "longhorn", "loon", "louse", "lynx", "macaque", "macaw", "magpie", "mako", "malamute",
    "mallard", "mammal", "mammoth", "manatee", "mantis", "marlin", "marmot", "marten", "mastiff",
    "mayfly", "meerkat", "midge", "mink", "minnow", "mole", "mollusk", "monkey", "moose", "moray",
    "mosquito", "moth", "mouse", "mule", "mustang", "mutt", "newt", "ocelot", "octopus", "opossum",
    "orca", "oriole", "osprey", "ostrich", "otter", "owl", "ox", "oyster", "panda", "panther",
    "parrot", "peacock", "pegasus", "pelican", "penguin", "perch", "pheasant", "pig", "pigeon",
    "piglet", "pika", "pipefish", "piranha", "platypus", "polecat", "pony", "porpoise", "possum",
    "prawn", "puffin", "pug", "puma", "python", "quail", "rabbit", "raccoon", "ram", "raptor",
    "rat", "raven", "ray", "redbird", "reindeer", "reptile", "rhino", "robin", "rodent", "rooster",
    "sailfish", "salmon", "sawfish", "scorpion", "seagull", "seahorse", "seal", "shark", "sheep",
    "shrew", "shrimp", "skink", "skunk", "sloth", "slug", "snail", "snake", "snapper", "snipe",
    "sole", "sparrow", "spider", "sponge", "squid", "squirrel", "stag", "starfish", "stork",
    "sturgeon", "swan", "swift", "tadpole", "tahr", "tapir", "tarpon", "termite", "tern",
    "terrier", "tetra", "thrush", "tick", "tiger", "toad", "tomcat", "tortoise", "toucan", "trout",
    "tuna", "turkey", "turtle", "unicorn", "urchin", "viper", "vulture", "wahoo", "wallaby",
    "walleye", "walrus", "warthog", "wasp", "weasel", "whale", "whippet", "wildcat", "wolf",
    "wombat", "woodcock", "worm", "wren", "yak", "zebra",
];

/// Default `length` of random-pet.
pub(crate) const DEFAULT_LENGTH: i64 = 2;
/// Default `separator` of random-pet.
pub(crate) const DEFAULT_SEPARATOR: &str = "-";

fn pick<R: RngCore + ?Sized>(words: &[&'static str], rng: &mut R) -> &'static str {
    words[crate::random::uniform(rng, words.len() as u64 - 1) as usize]
}

/// `length` lowercase words: a name; an adjective before it from two
/// words; adverbs before the adjective from three.
pub(crate) fn words<R: RngCore + ?Sized>(length: usize, rng: &mut R) -> Vec<&'static str> {
    let mut out = Vec::with_capacity(length);
    for _ in 2..length {
        out.push(pick(ADVERBS, rng));
    }
    if length >= 2 {
        out.push(pick(ADJECTIVES, rng));
    }
    if length >= 1 {
        out.push(pick(NAMES, rng));
    }
    out
}

/// Checks a random-pet configuration (unknown values are skipped).
pub(crate) fn check(object: &Value) -> Vec<ProviderError> {
    let mut errors = Vec::new();
    match int_field(object, "length") {
        Ok(Field::Set(n)) if !(1..=MAX_PET_LENGTH).contains(&n) => errors.push(
            ProviderError::fatal(format!(
                "`length` must be between 1 and {MAX_PET_LENGTH}, found {n}"
            ))
            .on_attribute("length"),
        ),
        Ok(_) => {}
        Err(e) => errors.push(e.into()),
    }
    for name in ["prefix", "separator"] {
        if let Err(e) = string_field(object, name) {
            errors.push(e.into());
        }
    }
    errors
}

/// The name a planned random-pet asks for.
pub(crate) fn generate<R: RngCore + ?Sized>(
    planned: &Value,
    rng: &mut R,
) -> Result<String, ProviderError> {
    let length = int_field(planned, "length")?
        .known("length")?
        .unwrap_or(DEFAULT_LENGTH);
    let separator = string_field(planned, "separator")?
        .known("separator")?
        .unwrap_or_else(|| DEFAULT_SEPARATOR.to_string());
    let prefix = string_field(planned, "prefix")?.known("prefix")?;
    let length = usize::try_from(length.clamp(1, MAX_PET_LENGTH)).unwrap_or(1);
    let mut parts: Vec<&str> = prefix.as_deref().into_iter().collect();
    parts.extend(words(length, rng));
    Ok(parts.join(&separator))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn word_lists_are_lowercase_and_distinct() {
        for list in [ADVERBS, ADJECTIVES, NAMES] {
            let mut sorted = list.to_vec();
            sorted.sort_unstable();
            sorted.dedup();
            assert_eq!(sorted.len(), list.len(), "a duplicate word");
            assert!(list.len() >= 100);
            for word in list {
                assert!(word.chars().all(|c| c.is_ascii_lowercase()), "{word}");
            }
        }
    }

    #[test]
    fn words_take_their_places() {
        let mut rng = StdRng::seed_from_u64(9);
        let one = words(1, &mut rng);
        assert!(NAMES.contains(&one[0]));
        let four = words(4, &mut rng);
        assert!(ADVERBS.contains(&four[0]) && ADVERBS.contains(&four[1]));
        assert!(ADJECTIVES.contains(&four[2]) && NAMES.contains(&four[3]));
    }
}
