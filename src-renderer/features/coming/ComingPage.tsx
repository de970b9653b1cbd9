import Card from '@mui/material/Card';
import CardContent from '@mui/material/CardContent';
import Chip from '@mui/material/Chip';
import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import { PageHeader } from '../../shell/PageHeader';
import { ROUTE_LABELS } from '../../shell/navigation';
import { COMING_FEATURES, type ComingRoute } from './coming-features';

/** A page whose feature is not built yet: says plainly what it will do, nothing pretends to work. */
export function ComingPage({ route }: { route: ComingRoute }) {
  const feature = COMING_FEATURES[route];
  return (
    <>
      <PageHeader title={ROUTE_LABELS[route]} subtitle={feature.summary} />
      <Card sx={{ maxWidth: 820 }}>
        <CardContent>
          <Stack direction="row" spacing={1} sx={{ alignItems: 'center', mb: 2 }}>
            <Chip label="Coming" color="info" size="small" />
            <Typography variant="subtitle1" component="h2" sx={{ fontWeight: 600 }}>
              Not available in this version yet
            </Typography>
          </Stack>
          <Typography variant="body2" color="text.secondary" sx={{ mb: 1 }}>
            What this page will offer:
          </Typography>
          <Stack component="ul" spacing={1} sx={{ m: 0, pl: 3 }}>
            {feature.points.map((point) => (
              <Typography component="li" variant="body2" key={point}>
                {point}
              </Typography>
            ))}
          </Stack>
        </CardContent>
      </Card>
    </>
  );
}
