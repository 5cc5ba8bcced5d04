"""Message ids of the bank's own import checks (rendered later in the user's language)."""

from question_bank.formats import N_

NO_SUBJECT = N_("Choose the subject the questions are imported into.")
DUPLICATE_IN_BANK = N_(
    "This question is already in the bank (question #%(item_id)s, status %(status)s)."
)
MEDIA_MISSING = N_("The file “%(name)s” is not in the upload; add it with the question file.")
MEDIA_EXTERNAL = N_(
    "The image “%(name)s” is on the internet, which the exam network cannot reach; "
    "upload the file itself."
)
MEDIA_UNSAFE = N_(
    "The file “%(name)s” is not an allowed image or audio file "
    "(PNG, JPEG, GIF, WebP, MP3, OGG, WAV or M4A)."
)
MEDIA_TOO_LARGE = N_("The file “%(name)s” is larger than %(limit)s MB.")
DIFFICULTY_OUT_OF_SCALE = N_(
    "Difficulty %(value)s is not on this subject's scale (1 to %(levels)s)."
)
FOUR_OPTIONS = N_(
    "The exam rules ask for 4 options (A–D); this single-choice question has %(count)s."
)
OPTION_IDS = N_("Two options have the same identifier.")
TYPE_UNKNOWN = N_("Unknown question type “%(value)s”.")
TOPIC_REQUIRED = N_("Choose a topic of this subject.")
SUBJECT_UNKNOWN = N_("There is no subject with the code “%(code)s”.")
