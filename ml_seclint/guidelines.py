"""The NCSC/CISA *Guidelines for secure AI system development*, as ids ml-seclint can cite.

The guideline numbers only its four areas; the ``x.y`` ids are ml-seclint's own, assigned in
document order (see docs/guidelines.md). Titles are the exact subsection headings.
"""
from __future__ import annotations

from dataclasses import dataclass

DOCUMENT = "NCSC/CISA Guidelines for secure AI system development (Nov 2023)"
DOCUMENT_URL = "https://www.ncsc.gov.uk/files/Guidelines-for-secure-AI-system-development.pdf"

AREAS = {
    "0": "Introduction",
    "1": "Secure design",
    "2": "Secure development",
    "3": "Secure deployment",
    "4": "Secure operation and maintenance",
}


@dataclass(frozen=True)
class Section:
    id: str
    key: str
    title: str  # exact subsection title
    short: str  # used in one-line messages

    @property
    def area(self) -> str:
        return AREAS[self.id.split(".")[0]]

    def label(self) -> str:
        return f"{self.id} {self.area}: {self.short}"

    def as_dict(self) -> dict:
        return {"id": self.id, "title": self.title, "area": self.area}


_SECTIONS = [
    ("0.1", "intro.provider_responsibility", "Who is responsible for developing secure AI?",
     "Provider responsibility"),
    ("1.1", "design.staff_awareness", "Raise staff awareness of threats and risks", "Staff awareness"),
    ("1.2", "design.threat_model", "Model the threats to your system", "Threat modelling"),
    ("1.3", "design.secure_system_design",
     "Design your system for security as well as functionality and performance", "Design for security"),
    ("1.4", "design.model_selection",
     "Consider security benefits and trade-offs when selecting your AI model", "Model selection"),
    ("2.1", "development.supply_chain", "Secure your supply chain", "Secure your supply chain"),
    ("2.2", "development.assets", "Identify, track and protect your assets", "Protect your assets"),
    ("2.3", "development.documentation", "Document your data, models and prompts",
     "Document data and models"),
    ("2.4", "development.technical_debt", "Manage your technical debt", "Technical debt"),
    ("3.1", "deployment.infrastructure", "Secure your infrastructure", "Secure your infrastructure"),
    ("3.2", "deployment.protect_model", "Protect your model continuously", "Protect your model"),
    ("3.3", "deployment.incident_management", "Develop incident management procedures",
     "Incident management"),
    ("3.4", "deployment.responsible_release", "Release AI responsibly", "Responsible release"),
    ("3.5", "deployment.easy_right_thing", "Make it easy for users to do the right things",
     "Secure defaults"),
    ("4.1", "operation.monitor_behaviour", "Monitor your system\u2019s behaviour", "Monitor behaviour"),
    ("4.2", "operation.monitor_inputs", "Monitor your system\u2019s inputs", "Monitor inputs"),
    ("4.3", "operation.secure_updates", "Follow a secure by design approach to updates", "Secure updates"),
    ("4.4", "operation.lessons_learned", "Collect and share lessons learned", "Lessons learned"),
]

SECTIONS: dict[str, Section] = {sid: Section(sid, key, title, short) for sid, key, title, short in _SECTIONS}

CWE_TITLES = {
    22: "Improper Limitation of a Pathname to a Restricted Directory ('Path Traversal')",
    59: "Improper Link Resolution Before File Access ('Link Following')",
    78: "Improper Neutralization of Special Elements used in an OS Command ('OS Command Injection')",
    89: "Improper Neutralization of Special Elements used in an SQL Command ('SQL Injection')",
    94: "Improper Control of Generation of Code ('Code Injection')",
    95: "Improper Neutralization of Directives in Dynamically Evaluated Code ('Eval Injection')",
    250: "Execution with Unnecessary Privileges",
    295: "Improper Certificate Validation",
    297: "Improper Validation of Certificate with Host Mismatch",
    306: "Missing Authentication for Critical Function",
    319: "Cleartext Transmission of Sensitive Information",
    345: "Insufficient Verification of Data Authenticity",
    353: "Missing Support for Integrity Check",
    489: "Active Debug Code",
    494: "Download of Code Without Integrity Check",
    502: "Deserialization of Untrusted Data",
    532: "Insertion of Sensitive Information into Log File",
    540: "Inclusion of Sensitive Information in Source Code",
    798: "Use of Hard-coded Credentials",
    829: "Inclusion of Functionality from Untrusted Control Sphere",
    918: "Server-Side Request Forgery (SSRF)",
    943: "Improper Neutralization of Special Elements in Data Query Logic",
    1327: "Binding to an Unrestricted IP Address",
    1336: "Improper Neutralization of Special Elements Used in a Template Engine",
    1357: "Reliance on Insufficiently Trustworthy Component",
    1428: "Reliance on HTTP instead of HTTPS",
}

OWASP_TITLES = {
    "ML06:2023": "ML Supply Chain Attacks",
    "LLM02:2025": "Sensitive Information Disclosure",
    "LLM03:2025": "Supply Chain",
    "LLM04:2025": "Data and Model Poisoning",
    "LLM05:2025": "Improper Output Handling",
    "LLM06:2025": "Excessive Agency",
    "LLM10:2025": "Unbounded Consumption",
}

ATLAS_TITLES = {
    "AML.T0010.001": "AI Supply Chain Compromise: AI Software",
    "AML.T0010.002": "AI Supply Chain Compromise: Data",
    "AML.T0010.003": "AI Supply Chain Compromise: Model",
    "AML.T0011.000": "User Execution: Unsafe AI Artifacts",
    "AML.T0012": "Valid Accounts",
    "AML.T0018.002": "Manipulate AI Model: Embed Malware",
    "AML.T0049": "Exploit Public-Facing Application",
    "AML.T0050": "Command and Scripting Interpreter",
    "AML.T0051": "LLM Prompt Injection",
    "AML.T0053": "AI Agent Tool Invocation",
    "AML.T0055": "Unsecured Credentials",
    "AML.T0109": "AI Supply Chain Rug Pull",
}
