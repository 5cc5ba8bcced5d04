"""Every message id the import/export formats can report.

Ids are English sentences with %(name)s placeholders; a literal percent sign is
written %%. They are marked with N_() so Babel extracts them (keyword N_), and
rendered with the caller's gettext by ImportErrorRecord.render().
"""

from .i18n import N_

# Reading the file.
ENCODING_LEGACY = N_(
    "The file is not UTF-8 text: byte 0x%(byte)s on line %(line_number)s cannot be read. "
    "It looks like a legacy encoding (TCVN3, VNI, Windows-1258 or Windows-1252). "
    "Save the file as UTF-8 and upload it again."
)
ENCODING_UTF16_INVALID = N_(
    "The file starts with a UTF-16 byte order mark but is not valid UTF-16 text."
)
BINARY_CONTENT = N_("The file contains NUL bytes; it is not a text file.")
NO_QUESTIONS = N_("The file contains no questions.")
UNKNOWN_FORMAT = N_(
    "The file format could not be recognised. Use Excel (.xlsx), CSV, GIFT, "
    "Moodle XML, Aiken or QTI."
)

# Checks shared by all formats.
STEM_EMPTY = N_("The question text is empty.")
SINGLE_OPTION_COUNT = N_("A single-choice question needs 2 to 8 options; this one has %(count)s.")
MULTIPLE_OPTION_COUNT = N_(
    "A multiple-response question needs 2 to 8 options; this one has %(count)s."
)
TRUE_FALSE_OPTION_COUNT = N_(
    "A true/false question needs exactly 2 options; this one has %(count)s."
)
SINGLE_NEEDS_ONE_CORRECT = N_(
    "A single-choice question needs exactly one fully correct option (100%%); "
    "this one has %(count)s."
)
TRUE_FALSE_NEEDS_ONE_CORRECT = N_(
    "A true/false question needs one correct option (100%%) and one wrong option (0%%)."
)
MULTIPLE_NO_CORRECT = N_("A multiple-response question needs at least one correct option.")
MULTIPLE_SUM = N_(
    "The credit of the correct options must add up to 100%%; here it adds up to %(total)s%%."
)
FRACTION_RANGE = N_("Credit %(value)s%% is outside the allowed range -100%% to 100%%.")
OPTION_EMPTY = N_("Option %(letter)s is empty.")
OPTION_DUPLICATE = N_("Options %(first)s and %(second)s have the same text.")
FILL_HAS_OPTIONS = N_("A fill-in-the-blank question cannot have options.")
CHOICE_HAS_ANSWERS = N_("A choice question cannot have typed answers.")
FILL_NO_ANSWER = N_("Blank %(blank)s has no accepted answer.")
FILL_NO_FULL_ANSWER = N_("Blank %(blank)s needs at least one fully correct answer (100%%).")
ANSWER_EMPTY = N_("An accepted answer of blank %(blank)s is empty.")
ANSWER_REPEATED = N_(
    "Blank %(blank)s lists the accepted answer “%(text)s” more than once; keep only one."
)
ANSWER_EQUIVALENT_CREDIT = N_(
    "Blank %(blank)s gives “%(first)s” %(first_credit)s%% and “%(second)s” "
    "%(second_credit)s%%, but its answer matching counts them as the same answer, so the "
    "higher credit always applies; give them the same credit or keep only one."
)
ANSWER_FRACTION_RANGE = N_("Answer credit %(value)s%% is outside the allowed range 0%% to 100%%.")
BLANK_COUNT_MISMATCH = N_(
    "The question text has %(markers)s blanks (____) but %(blanks)s groups of answers are given."
)
MATCH_INVALID = N_("Unknown answer matching “%(value)s”; use exact, ignore_case or ignore_accents.")
DIFFICULTY_INVALID = N_("Unknown difficulty “%(value)s”; use 1, 2 or 3 (easy, medium, hard).")
TYPE_UNKNOWN = N_("Unknown question type “%(value)s”.")
TYPE_UNSUPPORTED = N_("Question type “%(type)s” is not supported; the question was not imported.")
DUPLICATE_LINE = N_("This question is a duplicate of the question on line %(other_line)s.")
DUPLICATE_ROW = N_("This question is a duplicate of the question on row %(other_line)s.")
DUPLICATE_FILE = N_(
    "This question is a duplicate of the question in %(other_file)s, line %(other_line)s."
)
MEDIA_NAME_INVALID = N_("The file name “%(name)s” is not allowed.")
MEDIA_CONFLICT = N_("Two different files are named “%(name)s”.")

# Spreadsheets (xlsx, csv).
NOT_XLSX = N_("The file is not a valid Excel workbook (.xlsx).")
LEGACY_XLS = N_(
    "This is an old Excel .xls file (or a password-protected workbook). Open it in "
    "Excel, save it as .xlsx without a password, then upload it again."
)
SHEET_EMPTY = N_("The sheet is empty: the first row must hold the column names.")
HEADER_MISSING = N_("Required column “%(column)s” is missing from the header row.")
HEADER_UNKNOWN = N_("Unknown column “%(column)s”.")
HEADER_DUPLICATE = N_("Column “%(column)s” appears more than once.")
CSV_MALFORMED = N_(
    "The CSV file cannot be read from this row on (for example a quotation mark is not closed)."
)
CORRECT_MISSING = N_("No correct answer is given.")
LETTERS_INVALID = N_("“%(value)s” is not a list of option letters such as “B” or “A, C”.")
LETTER_NOT_OPTION = N_("%(letter)s is not one of the filled options.")
OPTION_GAP = N_("Option %(letter)s is empty but a later option is filled.")
WEIGHT_INVALID = N_("“%(value)s” is not a number or a percentage.")
WEIGHTS_COUNT = N_("%(count)s weights are given for %(options)s options.")
WEIGHTS_NOT_FOR_FILL = N_(
    "Weights apply to choice questions only; write an answer's credit like %%50%% "
    "before the answer."
)
WEIGHTS_CONFLICT = N_("The weights do not agree with the correct answers.")
TRUE_FALSE_VALUE = N_("“%(value)s” is not a true/false answer; use Đúng/Sai, True/False or A/B.")
TRUE_FALSE_OPTION_TEXT = N_(
    "The options of a true/false question must be “Đúng” and “Sai” (or True and False)."
)
ANSWER_WEIGHT_INVALID = N_(
    "“%(value)s” is not a valid answer weight; write it like %%50%% before the answer."
)

# Aiken.
AIKEN_MISSING_ANSWER = N_("The question has no “ANSWER:” line after its options.")
AIKEN_ANSWER_NOT_OPTION = N_("The answer %(letter)s is not one of the options (%(letters)s).")
AIKEN_TOO_FEW_OPTIONS = N_("The question needs at least 2 options; it has %(count)s.")
AIKEN_ANSWER_WITHOUT_QUESTION = N_("“ANSWER:” line without a question before it.")
AIKEN_ANSWER_EMPTY = N_("The “ANSWER:” line gives no option letter.")
AIKEN_OPTION_ORDER = N_("Option %(letter)s is out of order; expected %(expected)s.")
AIKEN_TEXT_AFTER_OPTIONS = N_(
    "Unexpected text after the options; expected another option or the “ANSWER:” line."
)

# GIFT.
GIFT_BRACES = N_(
    "Unbalanced braces: every “{” needs a matching “}” (write \\{ or \\} for a literal brace)."
)
GIFT_SEVERAL_BLOCKS = N_(
    "More than one answer block {…} in one question; embedded answers (Cloze) are not supported."
)
GIFT_WEIGHT_INVALID = N_(
    "Invalid answer weight “%(value)s”; use a percentage between -100 and 100 such as %%50%%."
)
GIFT_CATEGORY_EMPTY = N_("$CATEGORY has no category name.")
GIFT_TITLE_UNCLOSED = N_("The question title is not closed with “::”.")
GIFT_NO_ANSWERS = N_("The answer block has no answers.")

# XML (Moodle XML, QTI).
XML_MALFORMED = N_("The XML is not well-formed near line %(line_number)s, column %(column)s.")
XML_FORBIDDEN = N_(
    "The XML declares a DTD or entities, which are not allowed for security reasons."
)
XML_TOO_DEEP = N_("The XML is nested too deeply.")
XML_ROOT = N_("Expected a <%(expected)s> root element but found <%(found)s>.")
MOODLE_NO_TYPE = N_("The <question> element has no type attribute.")
MOODLE_FILE_INVALID = N_("The attached file “%(name)s” is not valid base64 data.")
MOODLE_TRUE_FALSE_ANSWERS = N_("A true/false question needs one “true” and one “false” answer.")
FRACTION_INVALID = N_("Invalid credit “%(value)s”.")
QTI_NOT_QTI = N_("The XML is not a QTI 2.1 or 3.0 item, test or content package.")
QTI_NO_INTERACTION = N_("The item has no interaction to answer; it was not imported.")
QTI_SEVERAL_INTERACTIONS = N_("The item combines several interactions, which is not supported.")
QTI_RESPONSE_MISSING = N_("There is no response declaration “%(identifier)s”.")
QTI_NO_CORRECT = N_("The response “%(identifier)s” has no correct response or mapping.")
QTI_RP_UNSUPPORTED = N_(
    "Response processing “%(template)s” is not supported; use the standard "
    "match_correct or map_response template."
)
QTI_RP_CUSTOM = N_(
    "Custom response processing is not supported; use the standard match_correct "
    "or map_response template."
)
QTI_UNKNOWN_CHOICE = N_("The response refers to an unknown choice “%(identifier)s”.")
QTI_MANIFEST_MISSING = N_("The package has no imsmanifest.xml.")
QTI_RESOURCE_MISSING = N_("The manifest refers to “%(href)s”, which is not in the package.")
QTI_TEST_ITEM_REF = N_(
    "The test refers to the item file “%(href)s”; upload the whole content package (.zip) instead."
)
QTI_NO_ITEMS = N_("The package contains no QTI items.")

# Zip archives.
ZIP_INVALID = N_("The file is not a valid zip archive.")
ZIP_UNSAFE_NAME = N_("The archive contains an unsafe file name “%(name)s”.")
ZIP_TOO_LARGE = N_("The archive is too large when unpacked (more than %(limit)s MB).")
ZIP_TOO_MANY = N_("The archive contains too many files (more than %(limit)s).")
ZIP_RATIO = N_("The file “%(name)s” in the archive is suspiciously compressed.")
ZIP_ENCRYPTED = N_("The archive is password-protected.")

# Export.
EXPORT_MULTI_BLANK = N_("A question with several blanks cannot be written as %(format)s.")
