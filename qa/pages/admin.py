"""The admin's "Why is this blocked?" page, ``/admin/member/throttlecounter/`` (staff only)."""

from __future__ import annotations

from urllib.parse import urlencode

from selenium.webdriver.common.by import By

from qa.pages.base import Page


class AdminLimitsPage(Page):
    path = "/admin/member/throttlecounter/"

    _root = (By.ID, "limit_search")
    _rows = (By.CSS_SELECTOR, "table#limits tbody tr")
    _lift_button = (By.CSS_SELECTOR, "#lift_limits input[type=submit]")
    _admin_messages = (By.CSS_SELECTOR, "ul.messagelist li")

    def open(self, *, email: str = "", client: str = "") -> AdminLimitsPage:
        """Show the limits of the account ``email`` and/or the client ``client``."""
        query = urlencode({"email": email, "client": client})
        return self._expect(
            AdminLimitsPage,
            lambda: self.driver.get(self.url_for(f"{self.path}?{query}")),
            f"opening the limits of {email or client}",
        )

    @property
    def limits(self) -> dict[str, tuple[int, int, bool]]:
        """By limit (its row's class ``limit-<name>``): the count, the budget (0: unlimited),
        refusing now."""
        found = {}
        for row in self.find_all(self._rows):
            name = (row.get_attribute("class") or "").split()[0].removeprefix("limit-")
            cells = [cell.text for cell in row.find_elements(By.TAG_NAME, "td")]
            budget = int(cells[3]) if cells[3].isdigit() else 0
            found[name] = (int(cells[2]), budget, "refusing" in row.get_attribute("class"))
        return found

    @property
    def admin_messages(self) -> list[str]:
        return self._texts(self._admin_messages)

    def lift(self) -> AdminLimitsPage:
        """Press "Lift these limits": back on the page, the limits shown afresh."""
        return self._expect(AdminLimitsPage, self.find(self._lift_button).click, "lifting")
