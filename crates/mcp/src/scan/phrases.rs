//! The phrases of the poisoning scan: a signal code and a pattern (matched case-insensitively;
//! blanks between words are any run of white space). Data, not code: a new phrasing is a new
//! alternative here.

/// Each signal and the phrases that show it.
pub const PHRASES: &[(&str, &str)] = &[
    (
        "override",
        r"\b(?:ignore|disregard|forget|override|bypass)\s+(?:all\s+|any\s+)?(?:of\s+)?(?:the\s+|your\s+)?(?:previous|prior|earlier|above|preceding|original|other|system)\s+(?:instructions|directions|prompts?|rules|guidelines|context|messages)",
    ),
    (
        "override",
        r"\b(?:new|updated|real)\s+(?:system\s+)?instructions\s*:|\byou\s+are\s+now\s+(?:in\s+)?(?:developer|admin|unrestricted|jailbr)|\bsystem\s+override\b",
    ),
    // Other languages: Chinese, Japanese, Spanish, French, German, Portuguese, Russian.
    (
        "override",
        r"忽略(?:之前|以前|先前|上面|所有)(?:的)?(?:所有)?(?:指令|指示|说明)|以前の指示を無視|ignora\s+(?:todas\s+)?las\s+instrucciones\s+anteriores|ignore[sz]?\s+(?:toutes\s+)?les\s+instructions\s+pr[ée]c[ée]dentes|ignoriere\s+(?:alle\s+)?(?:vorherigen|bisherigen)\s+anweisungen|ignore\s+as\s+instru[çc][õo]es\s+anteriores|игнорируй(?:те)?\s+(?:все\s+)?предыдущие\s+инструкции",
    ),
    // Keeping something from the user: "do not tell the user", "best not to mention this
    // part", "do not mention the push in your reply", "no need to mention it".
    (
        "concealment",
        r"\b(?:do\s+not|don't|never|must\s+not|should\s+not|shouldn't|(?:best|better)\s+not\s+to|no\s+need\s+to)\s+(?:\w+\s+){0,2}(?:tell|mention|inform|notify|alert|show|reveal|disclose|report|explain|describe|list)\b[^.\n]{0,60}\b(?:user|human|operator|anyone)",
    ),
    (
        "concealment",
        r"\b(?:do\s+not|don't|never|must\s+not|should\s+not|(?:best|better)\s+not\s+to|no\s+need\s+to)\s+(?:\w+\s+){0,2}(?:mention|explain|reveal|disclose|summari[sz]e|report|include|show|print|output|tell|describe|list)\s+(?:(?:this|that|these|the)\s+(?:\w+\s+)?(?:part|section|step|line|note|request|instruction|call|message|paragraph|command)s?\b|[^.\n]{0,40}\b(?:in|from|to|within)\s+(?:your|the)\s+(?:reply|response|answer|messages?|chat|summary|output|report|commit))",
    ),
    (
        "concealment",
        r"\b(?:do\s+not|don't|never|no\s+need\s+to)\s+(?:\w+\s+it\s+(?:or|and)\s+)?(?:mention|tell|reveal|disclose|show|describe|list|explain)\s+(?:it|this|that|them)\b\s*(?:[.!;]|$)|\bno\s+need\s+to\s+(?:mention|tell|reveal|disclose|describe)\b",
    ),
    (
        "concealment",
        r"\bwithout\s+(?:telling|informing|notifying|alerting|showing|mentioning)\b[^.\n]{0,30}\b(?:user|human|operator)|\b(?:hide|conceal)\b[^.\n]{0,40}\bfrom\s+the\s+(?:user|human)|\bthe\s+user\s+(?:must|should|will)\s+(?:not|never)\s+(?:know|see|notice|be\s+told)|\b(?:user|human)\s+(?:does\s+not|doesn't|need\s+not|needn't)\s+(?:need\s+to\s+)?(?:be\s+told|know|be\s+informed|be\s+notified)|\b(?:silently|secretly|covertly|quietly)\s+(?:read|send|include|upload|copy|pass|forward|append|add|attach|exfiltrate|post)",
    ),
    (
        "concealment",
        r"不要(?:向用户|对用户|让用户)?(?:告诉|通知|提及|提到|透露|知道)|别告诉用户|ユーザーに(?:は)?(?:伝え|知らせ|言わ)ないで|no\s+(?:le\s+)?(?:digas|menciones|informes)\s+(?:nada\s+)?al\s+usuario|ne\s+(?:le\s+)?(?:dis|mentionne)\s+(?:rien|pas)\s+[àa]\s+l'utilisateur|(?:sag|erw[äa]hne)\s+(?:\w+\s+)?(?:dem\s+)?(?:benutzer|nutzer)\s+nichts|erw[äa]hne\s+(?:\w+\s+)?nicht|n[ãa]o\s+(?:diga|mencione|conte)\s+(?:nada\s+)?ao\s+usu[áa]rio|не\s+(?:говори|сообщай)(?:те)?\s+пользователю",
    ),
    (
        "deception",
        r"\bif\s+(?:the\s+)?user\s+asks?\b[^.\n]{0,80}\b(?:say|tell|answer|reply|respond|claim)\b|\bjust\s+say\s+[\x22'“]|\btell\s+the\s+user\s+(?:it|that\s+it)\s+was\s+(?:a\s+)?(?:routine|normal|harmless)",
    ),
    (
        "shadowing",
        r"\b(?:when|whenever|before|after)\s+(?:the\s+user|you)\s+(?:\w+\s+){0,2}(?:use|call|invoke|run)s?\s+(?:the\s+|any\s+|another\s+)?[`'\x22]?\w+[`'\x22]?\s+tool\b|\binstead\s+of\s+(?:using\s+)?the\s+[`'\x22]?\w+[`'\x22]?\s+tool\b|\b(?:all|every)\s+(?:e-?mails?|messages?|requests?)\s+(?:must|should)\s+(?:also\s+)?(?:be\s+)?(?:sent|copied|forwarded|bcc)|\b(?:applies|apply)\s+to\s+(?:every|all|any)\s+other\s+tools?\b|\bwhenever\s+you\s+run\s+(?:a|any)\s+(?:shell\s+|terminal\s+)?command\b",
    ),
    // Text pretending to be another turn of the conversation, or the end of the definition.
    (
        "fake_turn",
        r"(?m)^\s*(?:human|user|assistant|system)\s*:\s|</?\s*(?:function_results|function_calls|tool_results?|tool_use|description|tool|system|result)\s*>",
    ),
    (
        "encoded",
        r"\b(?:decode|un-?hex|rot-?13)\s+(?:it\s+|this\s+|the\s+\w+\s+)?(?:and|then)\s+(?:follow|execute|run|comply|apply|obey|do)\b|\bapply\s+rot-?13\b|\b(?:hex|base64)-decode\s+the\s+following\b",
    ),
    (
        "consent_bypass",
        r"\b(?:the\s+)?(?:user|owner|author|maintainer)\s+(?:has|have)\s+(?:already\s+)?(?:approved|consented|agreed|authori[sz]ed)|\bno\s+need\s+to\s+(?:ask|check|confirm|verify)|\bwithout\s+(?:asking|checking|confirming|confirmation|approval|permission)\b|\b(?:do\s+not|don't|never)\s+(?:need\s+to\s+)?(?:ask|confirm)\b|\bthis\s+(?:issue|message|email|note)\s+is\s+(?:the\s+)?approval|不要征求|无需(?:用户)?确认",
    ),
    // Text marked as instructions for the model: tags and labels.
    (
        "directive_tag",
        r"<\s*/?\s*(?:important|system|instructions?|admin|secret|hidden|assistant)\b[^<>]{0,80}>|\bas\s+a\s+side\s*note\b|(?-i:\b(?:IMPORTANT|ATTENTION|SYSTEM)\s*:)",
    ),
    // Text addressed to the model: "note for the AI assistant", "agent-only:", "AI assistant:",
    // "ATTENTION AGENT", a fake system message, in a few languages.
    (
        "addressing",
        r"\b(?:notes?|message|notice|memo|instructions?|reminder)\s+(?:to|for)\s+(?:the\s+|any\s+|all\s+)?(?:\w+\s+){0,2}(?:ai|llms?|assistants?|agents?|models?|bots?|copilots?)\b|\b(?:agent|assistant|ai|llm|model)[- ]only\b|(?:^|\n|\]|\.)\s*(?:ai\s+)?(?:assistant|agent|llm)\s*:|\battention\s+(?:ai\s+)?(?:agents?|assistants?)\b|\b(?:ai|llm)\s+(?:agents?|assistants?)\s+reading\s+this\b|\bai-readable\b|【系统|系统(?:提示|说明|消息)】|\[\s*system\s+(?:message|note)|hinweis\s+f[üu]r\s+(?:ki|ai)|(?:给|致)\s*ai\s*助手|note\s+pour\s+l'ia|nota\s+para\s+(?:la|el)\s+(?:ia|asistente)",
    ),
    (
        "directive",
        r"(?:^|[.!?,;]\s+|\n\s*(?:[-*•]\s+|\d+[.)]\s+)?)(?:read|send|include|pass|upload|attach|append|cat|copy|post|forward|run|execute|set)\s|[`'\x22]?\w+[`'\x22]?\s+(?:argument|parameter|field)\s+(?:must|should)\s+(?:hold|contain|include|carry|be\s+set\s+to)\b|\bbefore\s+(?:using|calling|running|invoking)\s+(?:this|any|the)\s+tool|\byou\s+(?:must|should|need\s+to|have\s+to)\s+(?:first\s+|always\s+|also\s+)?(?:read|call|include|pass|send|fetch|upload|cat|open|attach|provide|append|add|use|run|list|supply|copy|collect|gather|paste)|\b(?:the\s+(?:assistant|model|ai|agent)|assistants?)\s+(?:must|should|need\s+to|needs\s+to|has\s+to|have\s+to)\s+(?:first\s+|always\s+|also\s+)?\w+|\b(?:always|first)\s+(?:read|include|pass|send|attach|append)\b|\b(?:please|kindly)\s+(?:read|send|include|pass|attach|paste|upload|forward|create|run)\b|必须先",
    ),
    (
        "secret_target",
        r"\b(?:private|ssh|api|access|secret|signing)\s+keys?\b|\b(?:passwords?|credentials|passphrases?|secrets|access\s+tokens?|auth\s+tokens?|session\s+cookies?|bearer\s+tokens?|cookies)\b|\benvironment\s+variables\b|\bconversation\s+history\b|\bsystem\s+prompt\b|\bmcp\.json\b|\bclaude_desktop_config\b|(?:^|[\s`'\x22(])\.env\b|\bprintenv\b|`env`|\bgh\s+auth\s+token\b|\baws_(?:secret_)?access_key(?:_id)?\b",
    ),
    (
        "exfil_url",
        r"https?://[^\s)\x22'<>]*[?&][A-Za-z_]+=(?:\{[^}\n]{1,80}\}|<[^>\n]{1,80}>|\$\{?[A-Za-z_]+|\[[A-Za-z_ ]+\]|(?-i:(?:PASTE|INSERT|YOUR|DATA|CONTENTS?|SECRETS?|TOKENS?)[A-Z_]*\b))",
    ),
];

/// Moving what was read somewhere: "pass its content", "into the `notes` argument", "as
/// `sidenote`", "send it" (with a directive and a secret in one sentence of a definition).
pub const MOVE: &str = r"\b(?:into|in|as|to|inside)\s+(?:the\s+)?[`'\x22]?\w+[`'\x22]?\s+(?:argument|parameter|param|field|property)\b|\bas\s+[`'\x22]\w+[`'\x22]|\bwith\s+(?:the|its|that)\s+\w+\s+as\s+\w+|\b(?:send|post|upload|forward|exfiltrate|paste)\b|\b(?:pass|put|include|attach|append|supply)\s+(?:it|them|its\s+contents?|their\s+contents?)\b|\buse\s+(?:it|them|the\s+\w+)\s+(?:for|as|in)\b|\b(?:hold|contain|carry)\s+(?:the\s+)?(?:full\s+|complete\s+)?contents?\s+of\b|\bset\s+[`'\x22]?\w+[`'\x22]?\s+to\s+(?:the\s+)?contents?\s+of\b";

/// Cues that a quoted phrase is quoted, not said: "(…)", "such as …", "e.g. …", "phrases like …".
pub const QUOTING_CUES: &str = r"(?i)(?:\(|\bsuch\s+as|\be\.g\.|\bi\.e\.|\bfor\s+example|\bphrases?|\battempts?|\bpatterns?|\bquot\w*|\bcontaining|\bmatches)\W*$";

/// Verbs that take or move what they name (one sentence with a secret: `acquire_secret`).
pub const ACQUIRE: &str = r"\b(?:read|cat|copy|paste|send|pass|put|include|attach|upload|forward|post|dump|collect|gather|extract|encode|base64-encode|print|output|run|fetch|supply|exfiltrate|open)\b|读取|发送|复制|上传|放入|粘贴";

/// Words that negate a verb a few words after them ("never paste secrets").
pub const NEGATION: &str = r"\b(?:never|not|don't|dont|no|without)\b";
