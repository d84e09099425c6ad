"""The REFI-QDA exchange standard (1.0, www.qdasoftware.org) that NVivo, ATLAS.ti and MAXQDA
read and write: a project (`.qdpx`, a zip of `project.qde` and the sources' text) and a
codebook alone (`.qdc`). Written and read here, checked whole, every problem by line.

Pure: the caller (`services.qda`) gathers the wave's answers, themes and codings into a
`Project` and matches what a file gives back against the database. GUIDs are made from names
(`guid`), so the same wave exports the same GUIDs every time and a source comes home by its GUID.
"""

from __future__ import annotations

import io
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field

from lxml import etree

from flatfile.checks import ImportProblem

PROJECT_NS = "urn:QDA-XML:project:1.0"
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
ORIGIN = "Commissioning social care survey"
QDE = "project.qde"
INTERNAL = "internal://"
MAX_XML_BYTES = 200_000_000  # the unpacked project.qde or .qdc: far past any wave's answers
MAX_SOURCE_BYTES = 10_000_000  # one source's text (an answer is at most 10,000 characters)
_NAMESPACE = uuid.UUID("6f1f0b5e-8f3a-4c1e-9d0a-2b7c5a1e3d40")  # this survey's GUIDs
_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_pis=True
)


def guid(*parts: str) -> str:
    """The GUID of a thing the survey names by `parts`: the same every export."""
    return str(uuid.uuid5(_NAMESPACE, "\x1f".join(parts)))


@dataclass(frozen=True)
class Code:
    """A theme as a code: children under their parent (the survey's codebook has two levels)."""

    guid: str
    name: str
    description: str = ""
    children: tuple[Code, ...] = ()
    line: int | None = None  # where a file read it


@dataclass(frozen=True)
class Selection:
    """A passage (characters start..end) one coder coded with one code or more."""

    guid: str
    start: int
    end: int
    coder: str
    codes: tuple[str, ...]  # the codes' GUIDs
    line: int | None = None


@dataclass(frozen=True)
class Source:
    """One respondent's answer to one open question, as a text source."""

    guid: str
    name: str
    text: str
    selections: tuple[Selection, ...] = ()
    line: int | None = None


@dataclass(frozen=True)
class Case:
    """A respondent, whose sources (one per open question answered) a case groups."""

    guid: str
    name: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Project:
    """What a `.qdpx` holds, as far as the survey uses it."""

    name: str
    description: str = ""
    codes: tuple[Code, ...] = ()
    sources: tuple[Source, ...] = ()
    cases: tuple[Case, ...] = ()
    users: dict[str, str] = field(default_factory=dict)  # GUID: username, as read


# --- writing -----------------------------------------------------------------------------------


def write_qdpx(project: Project) -> bytes:
    """The project as a `.qdpx`: `project.qde`, and each source's text in `Sources/`."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(_member(QDE), project_xml(project))
        for source in project.sources:
            archive.writestr(_member(f"Sources/{source.guid}.txt"), source.text.encode("utf-8"))
    return buffer.getvalue()


def _member(name: str) -> zipfile.ZipInfo:
    """A zip member dated as zip's epoch, so the same wave exports the same bytes."""
    return zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))


def project_xml(project: Project) -> bytes:
    """`project.qde`: users (the coders), the codebook, one case per respondent, the sources
    with their coded selections."""
    root = etree.Element(f"{{{PROJECT_NS}}}Project", nsmap={None: PROJECT_NS},
                         name=project.name, origin=ORIGIN)  # fmt: skip
    coders = sorted({s.coder for source in project.sources for s in source.selections})
    if coders:
        users = _sub(root, "Users")
        for coder in coders:
            _sub(users, "User", guid=guid("user", coder), name=coder, id=coder)
    if project.codes:
        _codes(_sub(_sub(root, "CodeBook"), "Codes"), project.codes, PROJECT_NS)
    if project.cases:
        cases = _sub(root, "Cases")
        for case in project.cases:
            element = _sub(cases, "Case", guid=case.guid, name=case.name)
            for source_guid in case.sources:
                _sub(element, "SourceRef", targetGUID=source_guid)
    if project.sources:
        sources = _sub(root, "Sources")
        for source in project.sources:
            _source(sources, source)
    if project.description:
        _sub(root, "Description").text = project.description
    return _serialised(root)


def write_qdc(codes: tuple[Code, ...]) -> bytes:
    """The codebook alone, as a `.qdc`."""
    root = etree.Element(f"{{{CODEBOOK_NS}}}CodeBook", nsmap={None: CODEBOOK_NS}, origin=ORIGIN)
    _codes(etree.SubElement(root, f"{{{CODEBOOK_NS}}}Codes"), codes, CODEBOOK_NS)
    return _serialised(root)


def _codes(parent: etree._Element, codes: tuple[Code, ...], ns: str) -> None:
    for code in codes:
        element = etree.SubElement(parent, f"{{{ns}}}Code", guid=code.guid, name=code.name,
                                   isCodable="true")  # fmt: skip
        if code.description:
            etree.SubElement(element, f"{{{ns}}}Description").text = code.description
        _codes(element, code.children, ns)


def _source(sources: etree._Element, source: Source) -> None:
    element = _sub(sources, "TextSource", guid=source.guid, name=source.name,
                   plainTextPath=f"{INTERNAL}{source.guid}.txt")  # fmt: skip
    for selection in source.selections:
        user = guid("user", selection.coder)
        coded = _sub(element, "PlainTextSelection", guid=selection.guid,
                     startPosition=str(selection.start), endPosition=str(selection.end),
                     creatingUser=user)  # fmt: skip
        for code_guid in selection.codes:
            coding = _sub(coded, "Coding", guid=guid("coding", selection.guid, code_guid),
                          creatingUser=user)  # fmt: skip
            _sub(coding, "CodeRef", targetGUID=code_guid)


def _sub(parent: etree._Element, tag: str, **attributes: str) -> etree._Element:
    return etree.SubElement(parent, f"{{{PROJECT_NS}}}{tag}", **attributes)


def _serialised(root: etree._Element) -> bytes:
    return bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True))


# --- reading -----------------------------------------------------------------------------------


def read_qdc(data: bytes) -> tuple[tuple[Code, ...], list[ImportProblem]]:
    """A `.qdc` codebook's codes (or a project's, if given one), every problem by line."""
    root, problems = _parsed(data, {f"{{{CODEBOOK_NS}}}CodeBook", f"{{{PROJECT_NS}}}Project"})
    if root is None:
        return (), problems
    ns = etree.QName(root).namespace or ""
    codes_element = root.find(f"{{{ns}}}Codes" if ns == CODEBOOK_NS else
                              f"{{{ns}}}CodeBook/{{{ns}}}Codes")  # fmt: skip
    if codes_element is None:
        problems.append(ImportProblem("the file has no codes (no <Codes> element)", line=1))
        return (), problems
    return _read_codes(codes_element, ns, problems), problems


def read_qdpx(data: bytes) -> tuple[Project | None, list[ImportProblem]]:
    """A `.qdpx` project's codebook, users and text sources with their coded selections;
    whole-source codings read as selections of the whole text. Every problem by line."""
    archive, problems = _archive(data)
    if archive is None:
        return None, problems
    with archive:
        root, problems = _parsed(archive.read(QDE), {f"{{{PROJECT_NS}}}Project"})
        if root is None:
            return None, problems
        ns = f"{{{PROJECT_NS}}}"
        sizes = {info.filename: info.file_size for info in archive.infolist()}  # read once
        users = {u.get("guid", ""): u.get("name") or u.get("id") or ""
                 for u in root.iter(f"{ns}User")}  # fmt: skip
        codes_element = root.find(f"{ns}CodeBook/{ns}Codes")
        codes = () if codes_element is None else _read_codes(codes_element, PROJECT_NS, problems)
        sources = tuple(
            source
            for element in root.iterfind(f"{ns}Sources/{ns}TextSource")
            if (source := _read_source(element, archive, sizes, users, problems)) is not None
        )
        for other in ("PictureSource", "PDFSource", "AudioSource", "VideoSource"):
            for element in root.iterfind(f"{ns}Sources/{ns}{other}"):
                problems.append(_at(element, f"a {other} is not an answer: only text sources "
                                             "are read back"))  # fmt: skip
    return Project(root.get("name", ""), codes=codes, sources=sources, users=users), problems


def _archive(data: bytes) -> tuple[zipfile.ZipFile | None, list[ImportProblem]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        return None, [ImportProblem("not a .qdpx: a REFI-QDA project is a zip file")]
    names = {info.filename: info for info in archive.infolist()}
    if QDE not in names:
        archive.close()
        return None, [ImportProblem(f"the .qdpx has no {QDE} (the project's XML)")]
    if names[QDE].file_size > MAX_XML_BYTES:
        archive.close()
        return None, [ImportProblem(f"{QDE} unpacks to {names[QDE].file_size:,} bytes; "
                                    f"at most {MAX_XML_BYTES:,}")]  # fmt: skip
    return archive, []


def _parsed(data: bytes, roots: set[str]) -> tuple[etree._Element | None, list[ImportProblem]]:
    if len(data) > MAX_XML_BYTES:
        return None, [ImportProblem(f"the XML is {len(data):,} bytes; at most {MAX_XML_BYTES:,}")]
    try:
        tree = etree.parse(io.BytesIO(data), _PARSER)
    except etree.XMLSyntaxError as exc:
        return None, [ImportProblem(f"not well-formed XML: {exc.msg}", line=exc.lineno)]
    if tree.docinfo.doctype:
        return None, [ImportProblem("a DOCTYPE is not accepted in a REFI-QDA file", line=1)]
    root = tree.getroot()
    if root.tag not in roots:
        wanted = " or ".join(sorted(f"<{etree.QName(r).localname}> in {etree.QName(r).namespace}"
                                    for r in roots))  # fmt: skip
        return None, [_at(root, f"the root element is <{root.tag}>; a REFI-QDA file has {wanted}")]
    return root, []


def _read_codes(parent: etree._Element, ns: str, problems: list[ImportProblem]) -> tuple[Code, ...]:
    codes = []
    for element in parent.iterfind(f"{{{ns}}}Code"):
        code_guid, name = element.get("guid"), (element.get("name") or "").strip()
        if not _is_guid(code_guid):
            problems.append(_at(element, f"the code {name!r} has no valid guid"))
            continue
        described = element.find(f"{{{ns}}}Description")
        text = "" if described is None or described.text is None else described.text
        children = _read_codes(element, ns, problems)
        codes.append(Code(str(code_guid), name, text.strip(), children, element.sourceline))
    return tuple(codes)


def _read_source(
    element: etree._Element,
    archive: zipfile.ZipFile,
    sizes: dict[str, int],
    users: dict[str, str],
    problems: list[ImportProblem],
) -> Source | None:
    source_guid, name = element.get("guid"), element.get("name", "")
    if not _is_guid(source_guid):
        problems.append(_at(element, f"the text source {name!r} has no valid guid"))
        return None
    text = _source_text(element, archive, sizes, problems)
    if text is None:
        return None
    selections = [  # a coding of the whole source
        _selection(coding, 0, len(text), [coding], users, problems)
        for coding in element.iterfind(f"{{{PROJECT_NS}}}Coding")
    ]
    for chosen in element.iterfind(f"{{{PROJECT_NS}}}PlainTextSelection"):
        start, end = _position(chosen, "startPosition"), _position(chosen, "endPosition")
        if start is None or end is None:
            problems.append(_at(chosen, "startPosition and endPosition are whole numbers from 0"))
            continue
        if not start < end <= len(text):
            problems.append(_at(chosen, f"the selection {start}–{end} is not within the source's "
                                        f"{len(text)} characters"))  # fmt: skip
            continue
        codings = list(chosen.iterfind(f"{{{PROJECT_NS}}}Coding"))
        selections.append(_selection(chosen, start, end, codings, users, problems))
    kept = tuple(s for s in selections if s is not None)
    return Source(str(source_guid), name, text, kept, element.sourceline)


def _selection(
    element: etree._Element,
    start: int,
    end: int,
    codings: list[etree._Element],
    users: dict[str, str],
    problems: list[ImportProblem],
) -> Selection | None:
    """A selection (or the whole source) and the codes its codings apply, with its coder: the
    user the selection or its first coding names."""
    user = element.get("creatingUser") or next(
        (c.get("creatingUser") for c in codings if c.get("creatingUser")), None
    )
    if not user or user not in users:
        problems.append(_at(element, "no coder: the selection's creatingUser is not one of the "
                                   "project's <Users>"))  # fmt: skip
        return None
    codes = []
    for coding in codings:
        ref = coding.find(f"{{{PROJECT_NS}}}CodeRef")
        target = None if ref is None else ref.get("targetGUID")
        if not _is_guid(target):
            problems.append(_at(coding, "the coding has no <CodeRef targetGUID=…>"))
            continue
        codes.append(str(target))
    return Selection(str(element.get("guid")), start, end, users[user], tuple(codes),
                     element.sourceline)  # fmt: skip


def _source_text(
    element: etree._Element,
    archive: zipfile.ZipFile,
    sizes: dict[str, int],
    problems: list[ImportProblem],
) -> str | None:
    content = element.find(f"{{{PROJECT_NS}}}PlainTextContent")
    if content is not None:
        return content.text or ""
    path = element.get("plainTextPath", "")
    member = f"Sources/{path.removeprefix(INTERNAL)}" if path.startswith(INTERNAL) else None
    if member is None or member not in sizes:
        problems.append(_at(element, f"the source's text is not in the .qdpx (plainTextPath "
                                     f"{path!r})"))  # fmt: skip
        return None
    if sizes[member] > MAX_SOURCE_BYTES:
        problems.append(_at(element, f"the source's text unpacks to {sizes[member]:,} "
                                     f"bytes; at most {MAX_SOURCE_BYTES:,}"))  # fmt: skip
        return None
    try:
        return archive.read(member).decode("utf-8-sig")
    except UnicodeDecodeError:
        problems.append(_at(element, f"{member} is not UTF-8 text"))
        return None


def _position(element: etree._Element, name: str) -> int | None:
    value = element.get(name, "")
    return int(value) if value.isdigit() else None


def _is_guid(value: str | None) -> bool:
    if not value:
        return False
    try:
        uuid.UUID(value.strip("{}"))
    except ValueError:
        return False
    return True


def _at(element: etree._Element, why: str) -> ImportProblem:
    return ImportProblem(why, line=element.sourceline, column=f"<{etree.QName(element).localname}>")


def walk(codes: tuple[Code, ...], depth: int = 1) -> Iterator[tuple[Code, Code | None, int]]:
    """Every code with its parent and depth (1 at the top), parents before children."""
    for code in codes:
        yield code, None, depth
        for child, parent, below in walk(code.children, depth + 1):
            yield child, parent or code, below
