"""Ejecución de los archivos de prueba de Otter (formato de excepciones) contra un entorno.

Se usa la API de Otter (``ExceptionTestFile``), que también reparte los puntos de cada caso. Solo
cambia el mensaje de fallo: Otter lo acompaña de la línea de la prueba que falló, y eso mostraría
código de las pruebas ocultas; aquí el mensaje es el tipo y el texto de la excepción.
"""

from dataclasses import dataclass
from pathlib import Path

from otter.test_files import ExceptionTestFile

from .replay import ReplayError

MAX_MESSAGE_CHARS = 600


class QuietExceptionTestFile(ExceptionTestFile):
    """An ExceptionTestFile whose failure messages never quote the test source."""

    def _generate_error_message(self, excp: Exception, context: int = 0) -> str:
        message = str(excp).strip()
        # A KeyError's text is the quoted key; any other message keeps its quotes.
        if isinstance(excp, KeyError) and len(message) >= 2 and message[0] == message[-1] == "'":
            message = message[1:-1]
        message = message or "sin mensaje"
        if len(message) > MAX_MESSAGE_CHARS:
            message = message[:MAX_MESSAGE_CHARS] + " […]"
        # Assertion and replay messages are whole Spanish sentences for the student; other errors
        # keep their class name, which is the student's own error.
        if isinstance(excp, (AssertionError, ReplayError)):
            return message
        return f"{type(excp).__name__}: {message}"


@dataclass
class CaseResult:
    """Outcome of one test case."""

    name: str
    hidden: bool
    points: float
    passed: bool
    message: str


@dataclass
class QuestionResult:
    """Outcome of one test file (one question) with its Otter score."""

    name: str
    score: float
    max_score: float
    cases: list[CaseResult]


def load_test_files(folder: Path) -> list[QuietExceptionTestFile]:
    """Load every ``*.py`` exception-format test file of ``folder``, sorted by name."""
    return [QuietExceptionTestFile.from_file(str(path)) for path in sorted(Path(folder).glob("*.py"))]


def run_test_files(test_files: list[QuietExceptionTestFile], environment: dict) -> list[QuestionResult]:
    """Run each test file against ``environment`` and return its score and case results."""
    questions = []
    for test_file in test_files:
        test_file.run(environment)
        cases = []
        for result in test_file.test_case_results:
            message = result.message
            # Otter prefixes the outcome; only the explanation after it is kept.
            for prefix in ("✅ Test case passed", "❌ Test case failed\n"):
                message = message.removeprefix(prefix)
            case = result.test_case
            cases.append(CaseResult(case.name, case.hidden, float(case.points or 0), result.passed, message.strip()))
        questions.append(QuestionResult(test_file.name, float(test_file.score), float(test_file.possible), cases))
    return questions
